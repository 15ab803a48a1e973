#!/usr/bin/env bash
# End-to-end test of the Snakemake workflow on the bundled example cohort (10 samples):
#   1. the plain commands, as the README gives them (one `oncolm windows` call for the cohort);
#   2. the workflow with the local profile;
#   3. the workflow with the SLURM profile on a real single-node SLURM cluster started here
#      (workflow/slurm/start_local_cluster.sh: munged, slurmctld, slurmd; no systemd, no mocks);
# then checks that the three give the same outputs (workflow/compare_outputs.py says what "same"
# means per stage), that a second run of the workflow has nothing to do, that a sample with a bad
# input fails alone and is named, with its error, at the end of the run, and that a train job
# stopped by SIGTERM (a SLURM time limit) is resumed from its checkpoint by the rerun.
# Exit status 0 only when all of that holds; prints the measured time of each run.
#
#   workflow/test_workflow.sh [WORKDIR]      (as root on Debian 12; WORKDIR default: a new /tmp dir)
#
# Installs snakemake, slurm-wlm and munge with apt-get when missing: on the 2-core Debian 12 VM this
# took 152 s (snakemake pulls ~170 packages); once installed the test took 80-92 s there
# (workflow/README.md has the measured times of each run).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
oncolm=${ONCOLM:-$repo/build/bin/oncolm}
if [ ! -x "$oncolm" ]; then
  echo "test_workflow.sh: $oncolm not found or not executable: build oncolm first (scripts/build.sh) or set ONCOLM" >&2
  exit 1
fi
work=${1:-$(mktemp -d /tmp/oncolm-workflow-test.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
# slurmctld runs as the slurm user: it must be able to reach the cluster directory inside (mktemp -d
# makes a directory only its owner may enter).
chmod 0755 "$work"

# --- packages ---------------------------------------------------------------------------------
missing=()
command -v snakemake >/dev/null || missing+=(snakemake)
command -v slurmctld >/dev/null || missing+=(slurm-wlm)
command -v munged >/dev/null || missing+=(munge)
if ((${#missing[@]})); then
  echo "== installing ${missing[*]} (apt-get; about 2.5 minutes for all three here)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${missing[@]}" >"$work/apt.log" 2>&1 ||
    { apt-get update >>"$work/apt.log" 2>&1 && apt-get install -y "${missing[@]}" >>"$work/apt.log" 2>&1; } ||
    { tail -n 20 "$work/apt.log" >&2; exit 1; }
fi
# Debian's snakemake runs on Debian's python3 (its shebang); compare_outputs.py needs only the
# standard library, but name the interpreter so another python3 first on PATH cannot interfere.
py=/usr/bin/python3

# --- the options all three runs share (one place, so they cannot drift apart) -------------------
# Small and fast: 256-token windows for embed and score, 8 scored variants per sample, 2 threads.
threads=2
max_tokens=256
max_windows=8
label=histology_abbreviation
min_class_size=2
folds=2
features=signature,density
classifiers=logreg,mlp
sheet=examples/cohort.tsv
reference=examples/reference/GRCh37.20_X.masked.fa.gz
model=models/nt-v2-small-grch37

# `oncolm report` with --data-dir (each figure's data as TSV) is compared when this build has it.
# (The help is captured first: `oncolm report` without arguments exits non-zero.)
report=0
report_help=$("$oncolm" report 2>&1 || true)
if grep -q -- '--data-dir' <<<"$report_help"; then report=1; fi

overlay() {  # the workflow config for one run, over workflow/config.yaml
  local out=$1
  cat <<EOF
oncolm: $oncolm
samples: $sheet
reference: $reference
model: $model
outdir: $out
device: cpu
embed: {max_tokens: $max_tokens, pooling: mean, extra: ""}
score: {max_tokens: $max_tokens, max_windows: $max_windows, extra: ""}
classify: {label: $label, min_class_size: $min_class_size, folds: $folds, features: "$features",
           classifiers: "$classifiers", extra: ""}
breakpoints: {use_reference: true, embeddings: false, extra: ""}
train: {enabled: false}
windows: {extra: ""}
resources:
EOF
  for rule in windows windows_merge train embed classify score breakpoints report; do
    echo "  $rule: {threads: $threads}"
  done
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# --- 1. plain commands (from the repository root, relative paths, as a user types them) --------
plain=$work/plain
rm -rf "$plain"
mkdir -p "$plain"
echo "== plain commands -> $plain"
t0=$(now)
(
  cd "$repo"
  set -x
  "$oncolm" windows "$sheet" --reference "$reference" -o "$plain/windows" --threads "$threads"
  "$oncolm" embed --model "$model" -o "$plain/embed" --threads "$threads" --max-tokens "$max_tokens" \
    --pooling mean "$plain/windows"
  "$oncolm" classify cv --windows "$plain/windows" --reference "$reference" --label "$label" \
    --min-class-size "$min_class_size" --folds "$folds" --features "$features" --classifier "$classifiers" \
    --threads "$threads" -o "$plain/classify"
  "$oncolm" score --model "$model" -o "$plain/score" --threads "$threads" --max-tokens "$max_tokens" \
    --max-windows "$max_windows" "$plain/windows"
  "$oncolm" breakpoints -o "$plain/breakpoints" --threads "$threads" --reference "$reference" "$plain/windows"
  if [ "$report" = 1 ]; then
    "$oncolm" report "$plain" -o "$plain/report.html" --data-dir "$plain/report_data"
  fi
) >"$work/plain.log" 2>&1 || { tail -n 30 "$work/plain.log" >&2; echo "FAIL: plain commands (log: $work/plain.log)" >&2; exit 1; }
t_plain=$(elapsed "$t0" "$(now)")

# --- 2. workflow, local profile ------------------------------------------------------------------
snake() {  # snakemake with the repository's Snakefile; .snakemake/ goes in the run's own directory
  local dir=$1 profile=$2
  shift 2
  # Targets and flags first: --configfile takes every word after it.
  snakemake "$@" --snakefile "$repo/workflow/Snakefile" --profile "$repo/workflow/profiles/$profile" \
    --directory "$dir" --configfile "$dir/config.yaml"
}
local_dir=$work/local
rm -rf "$local_dir"
mkdir -p "$local_dir"
overlay "$local_dir/results" >"$local_dir/config.yaml"
echo "== workflow, local profile -> $local_dir/results"
t0=$(now)
snake "$local_dir" local >"$local_dir/snakemake.log" 2>&1 ||
  { tail -n 40 "$local_dir/snakemake.log" >&2; echo "FAIL: local workflow (log: $local_dir/snakemake.log)" >&2; exit 1; }
t_local=$(elapsed "$t0" "$(now)")
# Reruns skip what is done: a dry run right after must find nothing to do.
snake "$local_dir" local -n >"$local_dir/rerun.log" 2>&1 || true
grep -q "Nothing to be done" "$local_dir/rerun.log" || fail "a rerun of the local workflow would run jobs again ($local_dir/rerun.log)"

# --- 3. workflow, SLURM profile on a local cluster ------------------------------------------------
slurm_dir=$work/slurm
rm -rf "$slurm_dir"
mkdir -p "$slurm_dir"
overlay "$slurm_dir/results" >"$slurm_dir/config.yaml"
# The cluster's own directory and ports: independent of any cluster started by hand with the defaults.
export ONCOLM_SLURM_DIR=$work/slurm-cluster
export ONCOLM_SLURMCTLD_PORT=${ONCOLM_SLURMCTLD_PORT:-16827}
export ONCOLM_SLURMD_PORT=${ONCOLM_SLURMD_PORT:-16828}
"$repo/workflow/slurm/stop_local_cluster.sh"
rm -rf "$ONCOLM_SLURM_DIR"  # no job state or logs of an earlier run
trap '"$repo/workflow/slurm/stop_local_cluster.sh"' EXIT
echo "== starting a single-node SLURM cluster ($ONCOLM_SLURM_DIR)"
t0=$(now)
eval "$("$repo/workflow/slurm/start_local_cluster.sh")"
t_cluster=$(elapsed "$t0" "$(now)")
echo "== workflow, SLURM profile -> $slurm_dir/results"
t0=$(now)
# CI=true: Snakemake 7's cluster executor sleeps 10 s between status rounds, 1 s when CI=true
# (snakemake/executors/__init__.py, sleep()). With 8 dependent stages the 10 s rounds alone would
# add over a minute; on a real cluster, where jobs take minutes, the default is the right one.
CI=true snake "$slurm_dir" slurm >"$slurm_dir/snakemake.log" 2>&1 ||
  { tail -n 40 "$slurm_dir/snakemake.log" >&2; echo "FAIL: SLURM workflow (log: $slurm_dir/snakemake.log)" >&2; exit 1; }
t_slurm=$(elapsed "$t0" "$(now)")
submitted=$(grep -c "with external jobid" "$slurm_dir/snakemake.log" || true)
# Every job went through SLURM (the cluster saw them), not through a local fallback.
[ "$submitted" -gt 0 ] || fail "the SLURM run submitted no job"
snake "$slurm_dir" slurm -n >"$slurm_dir/rerun.log" 2>&1 || true
grep -q "Nothing to be done" "$slurm_dir/rerun.log" || fail "a rerun of the SLURM workflow would run jobs again"

# --- a sample with a bad input: fails alone, and is named with its error at the end ---------------
bad_dir=$work/bad
rm -rf "$bad_dir"
mkdir -p "$bad_dir"
printf '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n20\tnot_a_number\t.\tA\tC\t.\tPASS\t.\n' \
  >"$bad_dir/broken.vcf"
# The example sheet with absolute paths (the sheet moves), and colon2's SNV VCF replaced.
awk -F'\t' -v OFS='\t' -v ex="$repo/examples" -v bad="$bad_dir/broken.vcf" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print; next }
  { for (c in col) if (c ~ /_(bam|vcf)$/ && $col[c] != "") $col[c] = ex "/" $col[c]
    if ($col["sample_id"] == "colon2") $col["snv_vcf"] = bad
    print }' "$repo/$sheet" >"$bad_dir/sheet.tsv"
overlay "$bad_dir/results" | sed "s|^samples: .*|samples: $bad_dir/sheet.tsv|" >"$bad_dir/config.yaml"
echo "== workflow with one bad sample (windows stage only) -> $bad_dir/results"
if snake "$bad_dir" local windows_merge >"$bad_dir/snakemake.log" 2>&1; then
  fail "the workflow succeeded with a broken VCF"
fi
sed -n '/==== oncolm workflow: failed jobs/,/^=====/p' "$bad_dir/snakemake.log" >"$bad_dir/failures.txt"
cat "$bad_dir/failures.txt"
grep -q -- "-- windows: sample colon2$" "$bad_dir/failures.txt" || fail "the failure summary does not name sample colon2"
grep -q "broken.vcf:3: malformed VCF line" "$bad_dir/failures.txt" || fail "the failure summary lacks oncolm's error"
[ "$(grep -c -- '^-- ' "$bad_dir/failures.txt")" = 1 ] || fail "other jobs than colon2's windows are listed as failed"
done_samples=$(ls "$bad_dir/results/windows/"*.stats.json 2>/dev/null | wc -l)
[ "$done_samples" = 9 ] || fail "expected the 9 good samples to finish (--keep-going), found $done_samples"

# --- an edited sheet row reruns that sample's windows job alone ---------------------------------------
# The sheet is an `ancient` input of the per-sample rule and each row's text a parameter: adding a
# sample or fixing one label must not rerun every sample (hours each on whole genomes).
edit_dir=$work/sheet_edit
rm -rf "$edit_dir"
mkdir -p "$edit_dir"
# The first three samples, file columns made absolute so the copy can live outside examples/.
$py - "$repo/$sheet" "$edit_dir/sheet.tsv" <<'PY'
import csv, os, sys
source, target = sys.argv[1], sys.argv[2]
with open(source, newline="") as handle:
    rows = list(csv.reader(handle, delimiter="\t"))
header, body = rows[0], rows[1:4]
files = {header.index(c) for c in ("tumour_bam", "normal_bam", "snv_vcf", "indel_vcf", "sv_vcf") if c in header}
for row in body:
    for i in files:
        if row[i] and row[i] not in (".", "NA"):
            row[i] = os.path.join(os.path.dirname(os.path.abspath(source)), row[i])
with open(target, "w") as out:
    out.writelines("\t".join(row) + "\n" for row in [header] + body)
PY
overlay "$edit_dir/results" | sed "s|^samples: .*|samples: $edit_dir/sheet.tsv|" >"$edit_dir/config.yaml"
echo "== sheet edit -> $edit_dir/results"
snake "$edit_dir" local windows_merge >"$edit_dir/first.log" 2>&1 || fail "windows for the sheet-edit check failed"
# Change the last column (a label) of the second sample's row only.
$py - "$edit_dir/sheet.tsv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
cells = lines[2].split("\t")
cells[-1] = cells[-1] + "-edited"
lines[2] = "\t".join(cells)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
snake "$edit_dir" local windows_merge -n >"$edit_dir/dry.log" 2>&1 || true
grep -Eq "^windows +1( |$)" "$edit_dir/dry.log" ||
  fail "after one row of the sheet changed, the dry run does not list exactly one windows job ($edit_dir/dry.log)"

# --- train: a job stopped at its time limit is resumed by the rerun ----------------------------------
# What SLURM does at a job's time limit: SIGTERM to oncolm train, which writes a checkpoint and exits
# 75. The job fails, Snakemake keeps train/ (the rule's output is train/train.done), and the rerun
# resumes from that checkpoint instead of starting again.
train_dir=$work/train_resume
mkdir -p "$train_dir"
train_extra="--steps 6 --max-tokens 128 --batch-tokens 2048 --lr 1e-3 --warmup-steps 1 --eval-every 0 --log-every 1 --checkpoint-every 1 --validation-fraction 0 --seed 3"
overlay "$train_dir/results" |
  sed "s|^train: .*|train: {enabled: true, objective: mlm, extra: \"$train_extra\"}|" >"$train_dir/config.yaml"
echo "== train stopped by SIGTERM, then the workflow -> $train_dir/results"
snake "$train_dir" local windows_merge >"$train_dir/windows.log" 2>&1 || fail "windows for the train check failed"
# shellcheck disable=SC2086
"$oncolm" train --model "$repo/$model" --objective mlm -o "$train_dir/results/train" --threads 1 $train_extra \
  "$train_dir/results/windows" >"$train_dir/first.log" 2>&1 &
train_pid=$!
for _ in $(seq 1 600); do
  [ -f "$train_dir/results/train/checkpoints/step-2/state.json" ] && break
  sleep 0.1
done
kill -TERM "$train_pid" 2>/dev/null || true
train_status=0
wait "$train_pid" || train_status=$?
[ "$train_status" = 75 ] || fail "train stopped by SIGTERM exited $train_status, not 75 (log: $train_dir/first.log)"
stopped_at=$(ls -d "$train_dir/results/train/checkpoints/step-"* | sed 's/.*step-//' | sort -n | tail -1)
snake "$train_dir" local train >"$train_dir/snakemake.log" 2>&1 || fail "the train rule failed (log: $train_dir/snakemake.log)"
grep -q "resuming from .* (step $stopped_at)" "$train_dir/results/logs/train/cohort.log" ||
  fail "the train rule did not resume from step $stopped_at (log: $train_dir/results/logs/train/cohort.log)"
[ -f "$train_dir/results/train/train.done" ] || fail "train/train.done missing after the train rule"
[ -f "$train_dir/results/train/final/config.json" ] || fail "train/final missing after the train rule"
last_step=$($py -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]["step"])' \
  "$train_dir/results/train/metrics.jsonl")
[ "$last_step" = 6 ] || fail "the resumed run ended at step $last_step, not 6"
# Another objective in the config: the rule reruns (a changed parameter) and train refuses to resume
# the finished run under it, instead of reporting the old model as the new one.
sed -i "s|objective: mlm|objective: both|" "$train_dir/config.yaml"
if snake "$train_dir" local train >"$train_dir/changed.log" 2>&1; then
  fail "the train rule accepted another objective for the finished run (log: $train_dir/changed.log)"
fi
grep -q 'cannot resume: the checkpoint.s objective is "mlm" but this run.s is "both"' "$train_dir/results/logs/train/cohort.log" ||
  fail "the train rule did not name the changed objective (log: $train_dir/results/logs/train/cohort.log)"
[ ! -f "$train_dir/results/train/train.done" ] || fail "train.done left in place after the refused resume"

# --- compare -----------------------------------------------------------------------------------------
report_flag=()
if [ "$report" = 0 ]; then
  report_flag=(--no-report)
  echo "NOTE: $oncolm has no 'report --data-dir' yet: report.html is built but not compared"
fi
echo "== comparing outputs"
$py "$repo/workflow/compare_outputs.py" "$plain" "$local_dir/results" --base-a "$repo" --base-b "$repo" \
  "${report_flag[@]}" || fail "plain commands and local workflow differ"
$py "$repo/workflow/compare_outputs.py" "$plain" "$slurm_dir/results" --base-a "$repo" --base-b "$repo" \
  "${report_flag[@]}" || fail "plain commands and SLURM workflow differ"
for dir in "$local_dir" "$slurm_dir"; do
  [ "$report" = 0 ] || [ -s "$dir/results/report.html" ] || fail "$dir/results/report.html missing"
done

echo "== times (s): plain commands $t_plain; workflow local $t_local; SLURM cluster start $t_cluster;" \
  "workflow on SLURM $t_slurm ($submitted jobs submitted)"
if ((failures)); then
  echo "test_workflow.sh: $failures check(s) failed (outputs in $work)" >&2
  exit 1
fi
echo "test_workflow.sh: OK (outputs in $work)"
