#!/usr/bin/env python3
"""Instruction counts of Tally's operations, under valgrind's callgrind (BENCHMARKS.md).

This VM has no hardware counters, so the ordo-one suite reports no instructions; callgrind counts
them deterministically, which makes two builds comparable where wall times on a shared 2-core
machine are not. Each operation runs in its own `tally-bench` process, every thread counted
(helper threads included); what the process does besides the operation is measured by a
baseline run and subtracted:

- import: `tally-bench import` of the generated NDJSON (open, import, close), minus an empty
  import;
- ingest, 30 days and 1 day: `Tally.ingest` of the generated events in batches of 10 000, then
  `close()` (which flushes what the head holds), minus `tally-bench ingest --dry-run` (the same
  generation without a database);
- reopen: opening a copy whose log holds every event (replay), minus opening an empty database;
- q1-q4: `tally-bench query --only qN --threads 1` on the imported database, cold (the first
  run after opening) and warm (each later run, answered from the query cache where it can be),
  from runs of 2 and 4 repetitions and one with no query;
- compaction: `compact()` of a copy of the imported database, minus opening and closing it.

    python3 Benchmarks/instructions.py [--events N] [--seed S] [--json OUT] [--baseline OLD.json]

`--baseline` prints each operation's count against a previous `--json` output (new / old).
Takes a few minutes at the default 200 000 events; needs valgrind (`apt-get install valgrind`).
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DAY = 86_400_000


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def build_tally_bench():
    log("building tally-bench (release)…")
    # A stale build description of the path dependency (the engine) fails the build after files
    # are added to it ("cannot find … in scope"): removed, SwiftPM plans again.
    for stale in glob.glob(os.path.join(HERE, ".build", "*", "release", "description.json")):
        os.remove(stale)
    command = ["swift", "build", "-c", "release", "--package-path", HERE, "--product", "tally-bench"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(command[:-2] + ["--show-bin-path"], check=True, capture_output=True, text=True).stdout
    return os.path.join(bin_dir.strip(), "tally-bench")


def instructions(argv, scratch):
    """Instructions executed by the process `argv`, all threads."""
    out = os.path.join(scratch, "callgrind.out")
    # Swift seeds its hashing per process; fixed, dictionaries probe alike in every run.
    environment = dict(os.environ, SWIFT_DETERMINISTIC_HASHING="1")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="write the counts here")
    parser.add_argument("--baseline", help="a previous --json output to compare with")
    parser.add_argument("--bench", help="a tally-bench binary to use instead of building one")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    bench = args.bench or build_tally_bench()
    scratch = tempfile.mkdtemp(prefix="tally-instructions-")
    try:
        counts = measure(bench, args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    baseline = None
    if args.baseline:
        with open(args.baseline) as f:
            baseline = json.load(f)["counts"]
    events = counts.pop("_events")
    print(f"{events} events (seed {args.seed}); instructions, all threads, baseline runs subtracted")
    print(f"{'operation':<26}{'instructions':>16}{'per event':>12}" + (f"{'vs baseline':>14}" if baseline else ""))
    for name, count in counts.items():
        line = f"{name:<26}{count:>16,}{count / events:>12,.0f}"
        if baseline and baseline.get(name):
            line += f"{count / baseline[name]:>13.3f}x"
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"events": events, "seed": args.seed, "counts": counts}, f, indent=1)


def measure(bench, args, scratch):
    def run(*argv):
        return instructions([bench, *argv], scratch)

    def path(name):
        return os.path.join(scratch, name)

    counts = {}
    ndjson, empty = path("events.ndjson"), path("empty.ndjson")
    log(f"generating {args.events} events (seed {args.seed})…")
    with open(ndjson, "w") as f:
        subprocess.run([bench, "generate", "--events", str(args.events), "--seed", str(args.seed)], check=True, stdout=f)
    open(empty, "w").close()
    newest, lines = 0, 0
    with open(ndjson) as f:
        for line in f:
            lines += 1
            newest = max(newest, int(re.search(r'"ts":(-?\d+)', line).group(1)))
    counts["_events"] = lines

    def fresh(name):
        for suffix in ("", "-wal"):
            if os.path.exists(path(name) + suffix):
                os.remove(path(name) + suffix)
        return path(name)

    log("import…")
    base = run("import", fresh("empty.tally"), empty)
    counts["import"] = run("import", fresh("imported.tally"), ndjson) - base
    for days in (30, 1):
        log(f"ingest over {days} day(s)…")
        common = ["--events", str(args.events), "--seed", str(args.seed), "--days", str(days)]
        base = run("ingest", fresh("dry.tally"), *common, "--dry-run", "1")
        counts[f"ingest {days}d (+ close)"] = run("ingest", fresh("ingested.tally"), *common) - base
    log("reopen…")
    subprocess.run([bench, "crash-copy", fresh("crash.tally"), "--events", str(args.events), "--seed", str(args.seed)],
                   check=True, stdout=subprocess.DEVNULL)
    base = run("open", path("empty.tally"))
    counts["reopen (replay)"] = run("open", path("crash.tally")) - base
    q3_from = str((newest // DAY - 6) * DAY)
    for query in ("q1", "q2", "q3", "q4"):
        log(f"{query}…")
        common = ["query", path("imported.tally"), "--q3-from", q3_from, "--threads", "1"]
        none = run(*common, "--only", "none", "--repeat", "1")
        two = run(*common, "--only", query, "--repeat", "1") - none
        four = run(*common, "--only", query, "--repeat", "3") - none
        warm = (four - two) // 2
        counts[f"{query} cold"] = two - warm
        counts[f"{query} warm"] = warm
    log("compaction…")
    shutil.copyfile(path("imported.tally"), fresh("compacted.tally"))
    shutil.copyfile(path("imported.tally"), fresh("reopened.tally"))
    base = run("open-close", path("reopened.tally"))
    counts["compaction"] = run("compact", path("compacted.tally")) - base
    return counts


if __name__ == "__main__":
    main()
