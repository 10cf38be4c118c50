#!/usr/bin/env bash
# The full reliability procedures of issue 7 (RELIABILITY.md has what each checks and the
# latest figures). The normal `swift test` runs a fast subset of the same harnesses.
#
#   scripts/reliability/run-all.sh [STEP ...]
#
# Steps, in order (all by default): kill-loop sweeps fuzz tsan readers
#   kill-loop  procedure 1: tally-stress kill-loop, KILL_CYCLES cycles (release build)
#   sweeps     procedures 2-7: the sweep tests with TALLY_RELIABILITY=full (power loss, crash
#              points, I/O faults, bit flips and truncation, hostile files and input)
#   fuzz       procedure 6: every libFuzzer target for FUZZ_SECONDS seconds
#   tsan       procedure 8: the concurrent tests, and TSAN_KILL_CYCLES=20 kill-loop cycles, under
#              ThreadSanitizer
#   readers    procedure 9: READERS read-only opener processes beside a live writer
#
# Knobs (environment): KILL_CYCLES=200 KILL_STREAMS=3 KILL_MAX_DELAY_MS=400 READERS=1000
# FUZZ_SECONDS=600 SEED=1, and any TALLY_<KNOB> the sweep tests read (ReliabilitySettings.swift),
# e.g. TALLY_POWERLOSS_RANDOM_CRASHES=2000, TALLY_FLIP_BYTE_STEP=1.
#
# Figures: every `RELIABILITY-FIGURES …` line goes to $RESULTS (default
# .build/reliability/results-<date>.txt) under a header with the date and commit; logs of each
# step sit beside it. Exits 1 if any step failed or found a violation.
set -uo pipefail
cd "$(dirname "$0")/../.."

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(kill-loop sweeps fuzz tsan readers)
KILL_CYCLES=${KILL_CYCLES:-200}
KILL_STREAMS=${KILL_STREAMS:-3}
KILL_MAX_DELAY_MS=${KILL_MAX_DELAY_MS:-400}
READERS=${READERS:-1000}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
SEED=${SEED:-1}
out=.build/reliability
mkdir -p "$out"
RESULTS=${RESULTS:-$out/results-$(date -u +%Y%m%dT%H%M%SZ).txt}
{
    echo "# Tally reliability run $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (modified)')"
    echo "# host: $(nproc) cores, $(uname -sr); steps: ${steps[*]}"
} >"$RESULTS"
failed=()

collect() {  # collect LOG: appends its figures to the results
    grep -h '^RELIABILITY-FIGURES' "$1" | tee -a "$RESULTS"
}

stress_binary() {
    swift build -c release --product tally-stress >"$out/build-release.log" 2>&1 || { cat "$out/build-release.log"; return 1; }
    echo ".build/release/tally-stress"
}

for step in "${steps[@]}"; do
    echo "== $step" >&2
    started=$(date +%s)
    log="$out/$step.log"
    case "$step" in
        kill-loop)
            binary=$(stress_binary) || { failed+=("$step (build)"); continue; }
            "$binary" kill-loop --cycles "$KILL_CYCLES" --streams "$KILL_STREAMS" --max-delay-ms "$KILL_MAX_DELAY_MS" \
                --seed "$SEED" >"$log" 2>&1 || failed+=("$step")
            ;;
        sweeps)
            TALLY_RELIABILITY=full swift test \
                --filter 'PowerLossSweepTests|CrashPointTests|IOFaultTests|CorruptionSweepTests|HostileFileTests|HostileInputTests|CreationRaceTests|MultiProcessTests/killLoopCatches' \
                >"$log" 2>&1 || failed+=("$step")
            grep -q '✘' "$log" && failed+=("$step (test failures)")
            ;;
        fuzz)
            scripts/reliability/fuzz.sh --seconds "$FUZZ_SECONDS" >"$log" 2>&1 || failed+=("$step")
            ;;
        tsan)
            swift test --sanitize=thread --scratch-path .build-tsan \
                --filter 'ConcurrencyTests|LockTests|LogRetirementTests|CompactionTests|PowerLossSweepTests/randomCrash|RetentionTests|ParallelScanTests|ColumnCacheTests|ImportPipelineTests|ReplayTests|BoundedQueueTests|NDJSONImporterTests|WorkloadOracleTests|BlockFramingTests|ExperimentPersistenceTests' \
                >"$log" 2>&1 || failed+=("$step")
            # The multi-process harness too: its writer child ingests, flushes, queries and compacts
            # from several threads; a report in a child's output counts as a violation there.
            TSAN_OPTIONS=halt_on_error=0 .build-tsan/debug/tally-stress kill-loop --cycles "${TSAN_KILL_CYCLES:-20}" \
                --max-delay-ms 1500 --seed "$SEED" 2>&1 | sed 's/procedure=kill-loop/procedure=tsan-kill-loop/' >>"$log" \
                || failed+=("$step (kill loop)")
            reports=$(grep -c 'WARNING: ThreadSanitizer' "$log")
            tests=$(grep -Eo 'Test run with [0-9]+ tests' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
            echo "RELIABILITY-FIGURES procedure=tsan tests=$tests reports=$reports" >>"$log"
            [ "$reports" -eq 0 ] && [ "$tests" -gt 0 ] || failed+=("$step ($reports reports, $tests tests)")
            ;;
        readers)
            binary=$(stress_binary) || { failed+=("$step (build)"); continue; }
            "$binary" readers --count "$READERS" --parallel 2 --seed "$SEED" >"$log" 2>&1 || failed+=("$step")
            ;;
        *)
            echo "unknown step $step" >&2
            failed+=("$step (unknown)")
            continue
            ;;
    esac
    collect "$log"
    echo "# $step took $(( $(date +%s) - started )) s" >>"$RESULTS"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]} (logs in $out)" | tee -a "$RESULTS" >&2
    exit 1
fi
echo "all steps passed; figures in $RESULTS" >&2
