#!/usr/bin/env bash
# Runs the libFuzzer targets of Fuzz/ (issue 7, procedure 6; RELIABILITY.md).
#
#   scripts/reliability/fuzz.sh [--seconds N] [TARGET ...]
#
# Targets: FuzzWAL FuzzBatchRecord FuzzSegment FuzzCatalog FuzzExperimentState FuzzDatabase
# (all by default), N seconds each (default 300). Seeds come from a real database written by
# `fuzz-seeds`; corpora grow in .build-fuzz/corpus/TARGET and crashing inputs land in
# .build-fuzz/artifacts/TARGET/ (both git-ignored). A crash stops that target; keep the input as a
# test in Tests/TallyTests/Reliability/FuzzRegressionTests.swift. Prints one
# `RELIABILITY-FIGURES procedure=fuzz …` line per target; exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=300
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(FuzzWAL FuzzBatchRecord FuzzSegment FuzzCatalog FuzzExperimentState FuzzDatabase)

scratch=.build-fuzz
seeds="$scratch/seeds"
swift build --package-path Fuzz --product fuzz-seeds --scratch-path "$scratch-seeds" >/dev/null
rm -rf "$seeds" && mkdir -p "$seeds"
"$scratch-seeds/debug/fuzz-seeds" "$seeds" >/dev/null

status=0
for target in "${targets[@]}"; do
    swift build --package-path Fuzz --product "$target" --scratch-path "$scratch" \
        --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 | { grep -E "error|Compiling|complete" || true; } | tail -1 >&2
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    log="$scratch/$target.log"
    started=$(date +%s)
    set +e
    SWIFT_BACKTRACE=enable=no "$scratch/debug/$target" "$corpus" "$seeds/$target" \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1
    result=$?
    set -e
    elapsed=$(( $(date +%s) - started ))
    executions=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    peak=$(grep -Eo 'stat::peak_rss_mb: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    crashes=$(find "$artifacts" -type f | wc -l)
    units=$(find "$corpus" -type f | wc -l)
    echo "RELIABILITY-FIGURES procedure=fuzz target=$target seconds=$elapsed executions=$executions corpus=$units peak_rss_mb=$peak crashes=$crashes exit=$result"
    if [ "$result" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        grep -E "ERROR|Fatal error|precondition|SUMMARY|#[0-9]+ .* in \\\$s5Tally" "$log" | head -12 >&2 || true
    fi
done
exit $status
