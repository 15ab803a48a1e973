#include "report/report.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/text.h"
#include "core/version.h"
#include "report/figures.h"

#ifndef ONCOLM_SOURCE_VEGA_DIR
#define ONCOLM_SOURCE_VEGA_DIR ""
#endif

namespace oncolm::report {

using nlohmann::json;

namespace {

// The stage output directories found among the inputs (a directory, or the directories in it).
struct StageDirs {
  std::string windows, train, classify, score, breakpoints;
  std::vector<std::string> embed;
};

bool has(const std::string& dir, std::string_view name) { return path_exists(path_join(dir, std::string(name))); }

// The report draws one output per stage (embed excepted): a second one is an error, not a silent
// choice of whichever was found last.
void set_stage(std::string& found, const std::string& dir, const char* stage) {
  if (!found.empty() && normalise_path(absolute_path(found)) != normalise_path(absolute_path(dir)))
    throw input_error(dir, 0, "a second `oncolm {}` output beside {}: the report draws one; give the directories of "
                      "one run", stage, found);
  found = dir;
}

void classify_directory(const std::string& dir, StageDirs& stages) {
  if (has(dir, contract::cohort_manifest_file) && has(dir, contract::cohort_stats_file))
    set_stage(stages.windows, dir, "windows");
  // Several embed runs may be drawn side by side, but the same one given twice (as OUT and OUT/embed)
  // is one.
  if (has(dir, contract::embed_provenance_file)) {
    const std::string key = normalise_path(absolute_path(dir));
    const bool seen = std::any_of(stages.embed.begin(), stages.embed.end(),
                                  [&](const std::string& e) { return normalise_path(absolute_path(e)) == key; });
    if (!seen) stages.embed.push_back(dir);
  }
  if (has(dir, "metrics.jsonl") && has(dir, "train.json")) set_stage(stages.train, dir, "train");
  if (has(dir, "metrics.json") && has(dir, "predictions.tsv")) {
    // `classify predict` writes the same two files (metrics only against known labels, no folds):
    // the figures describe cross-validation, so only a `classify cv` run is drawn.
    const std::string command = has(dir, "classify.json")
                                    ? read_json_file(path_join(dir, "classify.json")).value("command", std::string())
                                    : std::string("classify cv");
    if (command == "classify cv")
      set_stage(stages.classify, dir, "classify");
    else
      log(Level::warning, "{}: `oncolm {}` output, not drawn (the report draws `oncolm classify cv`)", dir, command);
  }
  if (has(dir, contract::score_provenance_file)) set_stage(stages.score, dir, "score");
  if (has(dir, contract::breakpoints_provenance_file)) set_stage(stages.breakpoints, dir, "breakpoints");
}

StageDirs find_stages(const std::vector<std::string>& inputs) {
  StageDirs stages;
  for (const auto& input : inputs) {
    if (!is_directory(input)) throw input_error(input, 0, "is not a directory");
    classify_directory(input, stages);
    for (const auto& name : list_directory(input))
      if (is_directory(path_join(input, name))) classify_directory(path_join(input, name), stages);
  }
  return stages;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, "cannot open (the vendored Vega runtime; set ONCOLM_VEGA_DIR)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON inside a <script> element: "</script" would end the element early, and "<!--" followed by
// "<script" puts the HTML parser in its double-escaped state, where "</script>" no longer ends it.
// Every < and > becomes its \u escape (the same string to JSON.parse), so a sample id or label can
// hold anything.
std::string script_json(const json& value) {
  std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else out += c;
  }
  return out;
}

const char* style = R"(body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{margin-bottom:0}.meta{color:#555;font-size:90%}section.figure{border-top:1px solid #ddd;padding:1em 0}
.caption{color:#444;font-size:90%;max-width:900px}.download{font-size:90%}#report-errors{color:#b00}
code{background:#f4f4f4;padding:0 .2em})";

// Renders every chart with vega-embed; records each rendered chart and every error on the page, so
// a headless browser (and a reader) can see whether everything drew.
const char* driver = R"(
const status = document.getElementById('report-status');
function reportError(message) {
  const box = document.getElementById('report-errors');
  box.textContent += message + '\n';
  status.dataset.errors = String(Number(status.dataset.errors) + 1);
}
window.addEventListener('error', e => reportError('error: ' + e.message));
window.addEventListener('unhandledrejection', e => reportError('unhandled: ' + e.reason));
function download(figure) {
  const blob = new Blob([figure.tsv], {type: 'text/tab-separated-values'});
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = figure.id + '.tsv';
  link.click();
  URL.revokeObjectURL(link.href);
}
// report.html#png (what `oncolm report --png-dir` loads in headless Chromium): each chart also
// as a PNG data URL in a <pre class="png"> element, which the command reads back from the DOM.
const exportPng = window.location.hash === '#png';
for (const figure of FIGURES) {
  document.getElementById('download-' + figure.id).addEventListener('click', e => { e.preventDefault(); download(figure); });
  const spec = Object.assign({}, figure.spec, {data: {values: figure.values}});
  vegaEmbed('#chart-' + figure.id, spec, {mode: 'vega-lite', renderer: 'svg',
      actions: {export: true, source: false, compiled: false, editor: false}})
    .then(result => {
      document.getElementById('chart-' + figure.id).dataset.rendered = '1';
      status.dataset.rendered = String(Number(status.dataset.rendered) + 1);
      if (exportPng) return result.view.toImageURL('png', 2).then(url => {
        const pre = document.createElement('pre');
        pre.className = 'png';
        pre.id = 'png-' + figure.id;
        pre.textContent = url;
        document.body.appendChild(pre);
      });
    })
    .catch(err => reportError(figure.id + ': ' + err));
}
)";

std::string render_html(const ReportOptions& options, const std::vector<Figure>& figures,
                        const std::vector<std::string>& found, const std::string& vega_dir) {
  std::time_t now = std::time(nullptr);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                     escape_html(options.title) + "</title>\n<style>" + style + "</style>\n";
  for (const char* file : {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"})
    html += "<script>" + read_text(path_join(vega_dir, file)) + "</script>\n";
  html += "</head><body>\n<h1>" + escape_html(options.title) + "</h1>\n<p class=\"meta\">" +
          escape_html(fmt::format("oncolm {} ({}), {}: ", version_string(), git_hash(), stamp)) + "<code>" +
          escape_html(options.command_line) + "</code><br>Inputs: " + escape_html(fmt::format("{}", fmt::join(found, "; "))) +
          "</p>\n<div id=\"report-status\" data-expected=\"" + std::to_string(figures.size()) +
          "\" data-rendered=\"0\" data-errors=\"0\"></div><pre id=\"report-errors\"></pre>\n";
  std::string section;
  json payload = json::array();
  for (const auto& figure : figures) {
    if (figure.section != section) {
      section = figure.section;
      html += "<h2>" + escape_html(section) + "</h2>\n";
    }
    html += "<section class=\"figure\" id=\"figure-" + figure.id + "\"><h3>" + escape_html(figure.title) +
            "</h3>\n<div class=\"chart\" id=\"chart-" + figure.id + "\"></div>\n<p class=\"caption\">" +
            escape_html(figure.caption) + " <a href=\"#\" class=\"download\" id=\"download-" + figure.id +
            "\">Data (" + figure.id + ".tsv)</a></p></section>\n";
    payload.push_back({{"id", figure.id}, {"spec", figure.spec}, {"values", figure.rows}, {"tsv", figure_tsv(figure)}});
  }
  html += "<script>const FIGURES = " + script_json(payload) + ";\n" + driver + "</script>\n</body></html>\n";
  return html;
}

// Each stage's figures; a stage whose files are unreadable stops the report with the file's name.
std::vector<Figure> build_figures(const StageDirs& stages) {
  std::vector<Figure> figures;
  auto append = [&](std::vector<Figure> more) {
    for (auto& figure : more) figures.push_back(std::move(figure));
  };
  if (!stages.windows.empty()) append(cohort_figures(stages.windows));
  if (!stages.train.empty()) append(training_figures(stages.train));
  for (std::size_t i = 0; i < stages.embed.size(); ++i)
    append(embedding_figures(stages.embed[i], stages.windows, static_cast<int>(i)));
  if (!stages.classify.empty()) append(classify_figures(stages.classify));
  if (!stages.score.empty()) append(score_figures(stages.score));
  if (!stages.breakpoints.empty()) append(breakpoint_figures(stages.breakpoints));
  return figures;
}

}  // namespace

std::string default_vega_dir() {
  if (const char* env = std::getenv("ONCOLM_VEGA_DIR"); env != nullptr && *env != '\0') return env;
  char self[4096];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length > 0) {
    self[length] = '\0';
    std::string installed = path_join(parent_directory(parent_directory(self)), "share/oncolm/vega");
    if (path_exists(path_join(installed, "vega.min.js"))) return installed;
  }
  return ONCOLM_SOURCE_VEGA_DIR;
}

namespace {

std::string decode_base64(const std::string& text) {
  std::string out;
  int value = 0, bits = -8;
  for (char c : text) {
    int digit;
    if (c >= 'A' && c <= 'Z') digit = c - 'A';
    else if (c >= 'a' && c <= 'z') digit = c - 'a' + 26;
    else if (c >= '0' && c <= '9') digit = c - '0' + 52;
    else if (c == '+') digit = 62;
    else if (c == '/') digit = 63;
    else continue;  // padding and line breaks
    value = (value << 6) + digit;
    bits += 6;
    if (bits >= 0) {
      out += static_cast<char>((value >> bits) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

// file:// URL of an absolute path: bytes other than unreserved characters and '/' percent-encoded,
// so a '#', '?', '%' or space in a directory name stays part of the path.
std::string file_url(const std::string& path) {
  std::string url = "file://";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~')
      url += static_cast<char>(c);
    else
      url += fmt::format("%{:02X}", c);
  }
  return url;
}

// Loads the written report in headless Chromium (Debian's chromium) and writes every chart as
// <id>.png, from the data URLs the page puts into its DOM when opened as report.html#png.
void write_pngs(const std::string& html, const std::vector<Figure>& figures, const std::string& png_dir) {
  make_directories(png_dir);
  const std::string dom = path_join(png_dir, ".report-dom.html");
  const std::string command = "chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=60000 --dump-dom " +
                              shell_quote(file_url(absolute_path(html)) + "#png") + " > " + shell_quote(dom) +
                              " 2> /dev/null";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("--png-dir: headless Chromium failed (install Debian's chromium): " + command);
  std::ifstream in(dom);
  std::stringstream text;
  text << in.rdbuf();
  const std::string page = text.str();
  std::remove(dom.c_str());
  for (const auto& figure : figures) {
    const std::string open = "<pre class=\"png\" id=\"png-" + figure.id + "\">data:image/png;base64,";
    const auto start = page.find(open);
    if (start == std::string::npos)
      throw std::runtime_error("--png-dir: Chromium did not draw figure " + figure.id + " of " + html);
    const auto end = page.find("</pre>", start);
    write_file_atomically(path_join(png_dir, figure.id + ".png"),
                          decode_base64(page.substr(start + open.size(), end - start - open.size())));
  }
}

// Each figure directory keeps the list of files the last report wrote into it, so that the next
// report removes them first: figures of an earlier run never stand beside a new report.html.
constexpr const char* written_list = ".oncolm-report-files";

void remove_earlier_figures(const std::string& dir) {
  if (dir.empty() || !is_directory(dir)) return;
  const std::string list = path_join(dir, written_list);
  std::ifstream in(list);
  std::string name;
  while (std::getline(in, name))
    if (!name.empty() && name.find('/') == std::string::npos) std::remove(path_join(dir, name).c_str());
  std::remove(list.c_str());
  std::remove(path_join(dir, ".report-dom.html").c_str());
}

void record_figures(const std::string& dir, const std::vector<Figure>& figures, const std::string& suffix) {
  std::string names;
  for (const auto& figure : figures) names += figure.id + suffix + "\n";
  write_file_atomically(path_join(dir, written_list), names);
}

}  // namespace

ReportSummary write_report(const ReportOptions& options) {
  StageDirs stages = find_stages(options.inputs);
  ReportSummary summary;
  auto note = [&](const char* stage, const std::string& dir) {
    (dir.empty() ? summary.stages_missing : summary.stages_found)
        .push_back(dir.empty() ? std::string(stage) : std::string(stage) + ": " + dir);
  };
  note("windows", stages.windows);
  for (const auto& dir : stages.embed) note("embed", dir);
  if (stages.embed.empty()) note("embed", "");
  note("train", stages.train);
  note("classify", stages.classify);
  note("score", stages.score);
  note("breakpoints", stages.breakpoints);
  if (summary.stages_found.empty())
    throw std::invalid_argument("no stage outputs (windows, embed, train, classify, score, breakpoints) in " +
                                fmt::format("{}", fmt::join(options.inputs, ", ")));
  std::vector<Figure> figures = build_figures(stages);
  remove_earlier_figures(options.data_dir);
  remove_earlier_figures(options.png_dir);
  const std::string vega_dir = options.vega_dir.empty() ? default_vega_dir() : options.vega_dir;
  write_file_atomically(options.output, render_html(options, figures, summary.stages_found, vega_dir));
  if (!options.data_dir.empty()) {
    make_directories(options.data_dir);
    record_figures(options.data_dir, figures, ".tsv");  // first: a kill part way leaves them listed
    for (const auto& figure : figures) write_file_atomically(path_join(options.data_dir, figure.id + ".tsv"), figure_tsv(figure));
  }
  if (!options.png_dir.empty()) {
    make_directories(options.png_dir);
    record_figures(options.png_dir, figures, ".png");
    write_pngs(options.output, figures, options.png_dir);
  }
  for (const auto& figure : figures) summary.figure_ids.push_back(figure.id);
  return summary;
}

}  // namespace oncolm::report
