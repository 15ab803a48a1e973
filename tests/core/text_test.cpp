// core/text: split_tabs, the one TSV splitter of the sample sheet, BEDPE and windows manifests, and
// shell_quote.
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/text.h"

using namespace oncolm;
using Fields = std::vector<std::string>;

TEST(SplitTabs, SplitsOnEveryTab) {
  EXPECT_EQ(split_tabs("sample_id\tdonor_id\ttumour_bam"), (Fields{"sample_id", "donor_id", "tumour_bam"}));
  EXPECT_EQ(split_tabs("one"), (Fields{"one"}));
}

TEST(SplitTabs, KeepsEmptyCellsIncludingLeadingAndTrailingOnes) {
  EXPECT_EQ(split_tabs(""), (Fields{""}));
  EXPECT_EQ(split_tabs("a\t\tb"), (Fields{"a", "", "b"}));
  EXPECT_EQ(split_tabs("\ta"), (Fields{"", "a"}));
  EXPECT_EQ(split_tabs("a\t"), (Fields{"a", ""}));
  EXPECT_EQ(split_tabs("\t\t"), (Fields{"", "", ""}));
}

TEST(SplitTabs, SplitsOnTabsOnlyAndLeavesLineEndsToTheCaller) {
  // Spaces belong to the cell (paths may hold them); a '\r' left by a CRLF file stays on the last
  // cell, which is why the readers strip it before splitting.
  EXPECT_EQ(split_tabs("a b\t c "), (Fields{"a b", " c "}));
  EXPECT_EQ(split_tabs("a\tb\r"), (Fields{"a", "b\r"}));
  EXPECT_EQ(split_tabs("a\tb\n"), (Fields{"a", "b\n"}));
}

TEST(SplitTabs, CellCountIsTabCountPlusOne) {
  for (const std::string line : {"", "x", "\t", "x\ty\tz", "\t\t\t\t", "a\t\tb\t"}) {
    std::size_t tabs = 0;
    for (char c : line) tabs += c == '\t';
    auto cells = split_tabs(line);
    EXPECT_EQ(cells.size(), tabs + 1) << line;
    std::string joined;
    for (std::size_t i = 0; i < cells.size(); ++i) joined += (i ? "\t" : "") + cells[i];
    EXPECT_EQ(joined, line);  // nothing lost, nothing added
  }
}

// A real /bin/sh reads each quoted word back as the original text, whatever it holds.
TEST(ShellQuote, AShellReadsBackTheOriginalText) {
  for (const std::string text : {"plain", "two words", "it's", "'", "''x'", "$HOME `id` \\ \"q\" *?[]", ""}) {
    const std::string command = "printf %s " + shell_quote(text);
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string read;
    char buffer[256];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) read.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0) << command;
    EXPECT_EQ(read, text) << command;
  }
}
