#!/usr/bin/env python3
"""Tally against DuckDB and chDB on one NDJSON stream (issue 6).

Generates the stream once with the project's generator (`tally-bench generate`, built from
Benchmarks/), or takes one with --ndjson (e.g. the output of shared/workload/gen_events.py).
Loads it into each engine, runs the reference queries, checks that the answers agree (counts
and sums exactly, distinct units within 2%), and prints one table: engine, operation, seconds,
ratio to Tally.

  python3 Benchmarks/peers/compare.py --events 1000000 --seed 7
  python3 Benchmarks/peers/compare.py --ndjson events.ndjson

Reference queries: (q1) events per metric per day; (q2) the variant report of checkout_button
(units exposed, converted units, revenue after exposure); (q3) top 10 utm_source by distinct units with a pageview in the last 7
days of the data; (q4) hourly pageviews for template_id=t0001 and country=US.

Query times are warm medians in process (DuckDB and chDB through Python, Tally through
`tally-bench query`, which opens the database once and calls the library: q2 is
`Tally.variantReport`). `tally query` / `tally report` are also timed once each as whole
commands when the CLI has them (process start and open included). Load times are wall clock of the whole
load. Peak memory is the maximum resident set of the process that loaded (a Python process for
the peers, so about 30-60 MB of interpreter is included there).

Needs: pip install duckdb (chdb optional: pip install chdb).
"""
import argparse, glob, json, os, resource, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
DAY, HOUR = 86_400_000, 3_600_000
DIMENSIONS = ["country", "device", "utm_source", "template_id", "experiment", "variant", "error_type"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_child(cmd, cpu=None):
    """Runs cmd in a child and returns (stdout, seconds, maxrss bytes) using wait4; when `cpu`
    is a dict, stores the child's user+system CPU seconds in cpu["s"]."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read stdout fully before waiting (the worker writes a small JSON).
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if cpu is not None:
        cpu["s"] = usage.ru_utime + usage.ru_stime
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()}")
    return out.decode(), seconds, usage.ru_maxrss * 1024


def swift_build(product, package_path):
    log(f"building {product} (release)…")
    # SwiftPM reuses a stale build description of the path dependency (the engine) after files
    # are added to it ("cannot find … in scope"); removing it costs a second of planning.
    for stale in glob.glob(os.path.join(package_path, ".build", "*", "release", "description.json")):
        os.remove(stale)
    subprocess.run(["swift", "build", "-c", "release", "--package-path", package_path, "--product", product],
                   check=True, stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--package-path", package_path, "--show-bin-path"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, product)


def tally_cli_has(tally, command):
    if tally is None:
        return False
    proc = subprocess.run([tally, command, "--help"], capture_output=True, text=True)
    return proc.returncode == 0 and "usage" in (proc.stdout + proc.stderr).lower()


# ---------------------------------------------------------------- workers (one process each)

def q2_sql_duckdb():
    # Attribution (PRODUCT.md): a unit's variant is that of its first exposure to the experiment;
    # an event is credited when its ts is not earlier than that exposure's ts. "First ingested"
    # is taken as earliest ts: in both generators exposures never arrive late and a unit is
    # exposed to an experiment at most once, so the two agree.
    return """
    WITH exp AS (
        SELECT unit, arg_min(dims.variant, ts) AS variant, min(ts) AS first_ts
        FROM events WHERE metric = 'exposure' AND dims.experiment = 'checkout_button' GROUP BY unit),
    credited AS (
        SELECT e.variant, ev.unit, ev.metric, ev.value
        FROM events ev JOIN exp e ON ev.unit = e.unit
        WHERE ev.metric IN ('conversion', 'purchase') AND ev.ts >= e.first_ts)
    SELECT x.variant, x.units_exposed,
           coalesce(c.converted_units, 0), coalesce(c.conversions, 0),
           coalesce(c.purchasers, 0), coalesce(c.purchases, 0), round(coalesce(c.revenue, 0), 2)
    FROM (SELECT variant, count(*) AS units_exposed FROM exp GROUP BY variant) x
    LEFT JOIN (
        SELECT variant,
               count(DISTINCT unit) FILTER (WHERE metric = 'conversion') AS converted_units,
               count(*) FILTER (WHERE metric = 'conversion') AS conversions,
               count(DISTINCT unit) FILTER (WHERE metric = 'purchase') AS purchasers,
               count(*) FILTER (WHERE metric = 'purchase') AS purchases,
               sum(value) FILTER (WHERE metric = 'purchase') AS revenue
        FROM credited GROUP BY variant) c ON c.variant = x.variant
    ORDER BY x.variant"""


def duckdb_worker(a):
    import duckdb
    for suffix in ("", ".wal"):
        if os.path.exists(a.db + suffix):
            os.remove(a.db + suffix)
    con = duckdb.connect(a.db)
    struct = ", ".join(f"{d} VARCHAR" for d in DIMENSIONS)
    t0, c0 = time.perf_counter(), cpu_seconds()
    con.execute(f"""CREATE TABLE events AS SELECT * FROM read_json('{a.ndjson}', format = 'newline_delimited',
        columns = {{ts: 'BIGINT', metric: 'VARCHAR', unit: 'VARCHAR', dims: 'STRUCT({struct})', value: 'DOUBLE'}})""")
    con.execute("CHECKPOINT")
    load_s, load_cpu_s = time.perf_counter() - t0, cpu_seconds() - c0
    newest, count = con.execute("SELECT max(ts), count(*) FROM events").fetchone()
    q3_from = (newest // DAY - 6) * DAY
    queries = {
        "q1": "SELECT metric, ts // 86400000 * 86400000 AS day, count(*) FROM events GROUP BY ALL ORDER BY ALL",
        "q2": q2_sql_duckdb(),
        "q3": f"""SELECT dims.utm_source AS source, count(DISTINCT unit) AS units FROM events
                  WHERE metric = 'pageview' AND ts >= {q3_from} GROUP BY source ORDER BY units DESC, source LIMIT 10""",
        "q4": """SELECT ts // 3600000 * 3600000 AS hour, count(*) FROM events
                 WHERE metric = 'pageview' AND dims.template_id = 't0001' AND dims.country = 'US'
                 GROUP BY hour ORDER BY hour""",
    }
    result = {"load_s": load_s, "load_cpu_s": load_cpu_s, "events": count, "newest_ts": newest, "q3_from": q3_from, "queries": {}}
    for name, sql in queries.items():
        result["queries"][name] = timed(lambda: [list(r) for r in con.execute(sql).fetchall()], a.repeat)
    con.close()
    result["file_bytes"] = sum(os.path.getsize(a.db + s) for s in ("", ".wal") if os.path.exists(a.db + s))
    print(json.dumps(result))


def chdb_worker(a):
    from chdb import session as chs
    shutil.rmtree(a.db, ignore_errors=True)
    sess = chs.Session(a.db)

    def q(sql):
        return json.loads(str(sess.query(sql, "JSONCompact")) or "{}").get("data", [])

    sess.query("CREATE DATABASE IF NOT EXISTS bench")
    sess.query("""CREATE TABLE bench.events (ts Int64, metric LowCardinality(String), unit String,
        dims Map(LowCardinality(String), String), value Nullable(Float64))
        ENGINE = MergeTree ORDER BY (metric, ts)""")
    t0, c0 = time.perf_counter(), cpu_seconds()
    sess.query(f"""INSERT INTO bench.events SELECT * FROM file('{a.ndjson}', 'JSONEachRow',
        'ts Int64, metric String, unit String, dims Map(String, String), value Nullable(Float64)')""")
    load_s, load_cpu_s = time.perf_counter() - t0, cpu_seconds() - c0
    newest, count = q("SELECT max(ts), count() FROM bench.events")[0]
    newest, count = int(newest), int(count)
    q3_from = (newest // DAY - 6) * DAY
    queries = {
        "q1": """SELECT metric, intDiv(ts, 86400000) * 86400000 AS day, count() FROM bench.events
                 GROUP BY metric, day ORDER BY metric, day""",
        "q2": """WITH exp AS (
                     SELECT unit, argMin(dims['variant'], ts) AS variant, min(ts) AS first_ts FROM bench.events
                     WHERE metric = 'exposure' AND dims['experiment'] = 'checkout_button' GROUP BY unit),
                 credited AS (
                     SELECT e.variant AS variant, ev.unit AS unit, ev.metric AS metric, ev.value AS value
                     FROM bench.events AS ev INNER JOIN exp AS e ON ev.unit = e.unit
                     WHERE ev.metric IN ('conversion', 'purchase') AND ev.ts >= e.first_ts)
                 SELECT x.variant, x.units_exposed,
                        uniqExactIf(c.unit, c.metric = 'conversion'), countIf(c.metric = 'conversion'),
                        uniqExactIf(c.unit, c.metric = 'purchase'), countIf(c.metric = 'purchase'),
                        round(sumIf(c.value, c.metric = 'purchase'), 2)
                 FROM (SELECT variant, count() AS units_exposed FROM exp GROUP BY variant) AS x
                 LEFT JOIN credited AS c ON c.variant = x.variant
                 GROUP BY x.variant, x.units_exposed ORDER BY x.variant""",
        "q3": f"""SELECT dims['utm_source'] AS source, uniqExact(unit) AS units FROM bench.events
                  WHERE metric = 'pageview' AND ts >= {q3_from} GROUP BY source ORDER BY units DESC, source LIMIT 10""",
        "q4": """SELECT intDiv(ts, 3600000) * 3600000 AS hour, count() FROM bench.events
                 WHERE metric = 'pageview' AND dims['template_id'] = 't0001' AND dims['country'] = 'US'
                 GROUP BY hour ORDER BY hour""",
    }
    result = {"load_s": load_s, "load_cpu_s": load_cpu_s, "events": count, "newest_ts": newest, "q3_from": q3_from, "queries": {}}
    for name, sql in queries.items():
        result["queries"][name] = timed(lambda: [[norm(v) for v in r] for r in q(sql)], a.repeat)
    sess.close()
    total = 0
    for dirpath, _, files in os.walk(os.path.join(a.db, "store")):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    result["file_bytes"] = total
    print(json.dumps(result))


def norm(v):
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def timed(run, repeat):
    t0 = time.perf_counter()
    answer = run()
    cold = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - t0)
    return {"cold_s": cold, "median_s": statistics.median(times), "answer": answer}


# ---------------------------------------------------------------- comparison

def compare_answers(name, tally, peer, tolerance=0.02):
    """Problems between Tally's answers and a peer's (exact counts, units within tolerance)."""
    problems = []
    for q in ("q1", "q4"):
        a = [tuple(r) for r in tally[q]["answer"]]
        b = [tuple(int(x) if isinstance(x, float) and x.is_integer() else x for x in r) for r in peer[q]["answer"]]
        if a != b:
            diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            problems.append(f"{q}: {len(a)} rows vs {name} {len(b)}; first difference at row {diff}: "
                            f"{a[diff] if diff < len(a) else '-'} vs {b[diff] if diff < len(b) else '-'}")
    exact = {r[0]: r[1] for r in peer["q3"]["answer"]}
    for source, units in tally["q3"]["answer"]:
        truth = exact.get(source)
        if truth is None:
            problems.append(f"q3: {source} is in Tally's top 10, not in {name}'s")
        elif abs(units - truth) > tolerance * truth:
            problems.append(f"q3: {source} units {units:.0f} vs {name} {truth} (more than {tolerance:.0%} apart)")
    return problems


def time_cli_queries(tally, db, q3_from):
    """Each reference query as one `tally` command (process start, open and output included)."""
    commands = {
        "q1": [[tally, "query", db, m, "--every", "day"] for m in
               ("conversion", "error", "exposure", "pageview", "purchase")],
        "q3": [[tally, "query", db, "pageview", "--by", "utm_source", "--measures", "units",
                "--from", str(q3_from)]],
        "q4": [[tally, "query", db, "pageview", "--where", "template_id=t0001", "--where", "country=US",
                "--every", "hour"]],
    }
    if tally_cli_has(tally, "report"):
        commands["q2"] = [[tally, "report", db, "checkout_button"]]
    timings = {}
    for name, cmds in commands.items():
        start = time.perf_counter()
        try:
            for cmd in cmds:
                subprocess.run(cmd, check=True, capture_output=True)
        except subprocess.CalledProcessError as error:
            log(f"tally CLI {name} failed ({' '.join(error.cmd)}): {error.stderr.decode()[:300]}")
            continue
        timings[name] = time.perf_counter() - start
    return timings


def compare_q2(a, b):
    rows_a = [tuple(r) for r in a]
    rows_b = [tuple(r) for r in b]
    if len(rows_a) != len(rows_b):
        return [f"q2: {len(rows_a)} variants vs {len(rows_b)}"]
    problems = []
    for x, y in zip(rows_a, rows_b):
        if x[:6] != y[:6] or abs(float(x[6]) - float(y[6])) > 0.011:
            problems.append(f"q2: {x} vs {y}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--ndjson", help="use this NDJSON file instead of generating one")
    ap.add_argument("--workdir", default=os.path.join(BENCH, ".compare"), help="databases and the generated stream")
    ap.add_argument("--engines", default="tally,duckdb,chdb")
    ap.add_argument("--repeat", type=int, default=5, help="warm runs per query (median reported)")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.worker:
        {"duckdb": duckdb_worker, "chdb": chdb_worker}[a.worker](a)
        return

    engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    os.makedirs(a.workdir, exist_ok=True)
    tally_bench = swift_build("tally-bench", BENCH)
    tally_cli = None
    try:
        tally_cli = swift_build("tally", ROOT)
    except subprocess.CalledProcessError:
        log("the root package has no `tally` product that builds; using tally-bench for import")
    use_cli_import = tally_cli_has(tally_cli, "import")

    ndjson = a.ndjson
    if ndjson is None:
        ndjson = os.path.join(a.workdir, f"events-{a.events}-seed{a.seed}.ndjson")
        if not os.path.exists(ndjson):
            log(f"generating {a.events} events (seed {a.seed}) with tally-bench generate…")
            subprocess.run([tally_bench, "generate", "--events", str(a.events), "--seed", str(a.seed),
                            "--out", ndjson + ".part"], check=True)
            os.rename(ndjson + ".part", ndjson)
    ndjson = os.path.abspath(ndjson)
    file_bytes = os.path.getsize(ndjson)
    log(f"stream: {ndjson} ({file_bytes / 1e6:.0f} MB)")

    results = {}
    # DuckDB first: it is the reference for the facts every engine is given (q3's start).
    for engine in ["duckdb", "chdb"]:
        if engine not in engines:
            continue
        db = os.path.join(a.workdir, f"{engine}.db")
        log(f"{engine}: load and queries…")
        try:
            out, seconds, rss = measure_child([sys.executable, __file__, "--worker", engine, "--ndjson", ndjson,
                                               "--db", db, "--repeat", str(a.repeat)])
        except SystemExit as error:
            log(f"{engine} failed: {error}")
            continue
        results[engine] = json.loads(out.strip().splitlines()[-1])
        results[engine]["peak_rss"] = rss
    reference = results.get("duckdb") or results.get("chdb")
    if reference is None:
        raise SystemExit("no peer ran; pip install duckdb")
    q3_from = reference["q3_from"]
    events = reference["events"]

    if "tally" in engines:
        db = os.path.join(a.workdir, "tally.tally")
        for suffix in ("", "-wal"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        if use_cli_import:
            cmd, how = [tally_cli, "import", db, ndjson], "tally import"
        else:
            cmd, how = [tally_bench, "import", db, ndjson], "tally-bench import (Tally.importNDJSON, durability normal)"
        log(f"tally: {how}…")
        cpu = {}
        _, load_s, rss = measure_child(cmd, cpu)
        out, _, _ = measure_child([tally_bench, "query", db, "--q3-from", str(q3_from), "--repeat", str(a.repeat)])
        results["tally"] = {"load_s": load_s, "load_cpu_s": cpu["s"], "peak_rss": rss, "import_via": how, "queries": json.loads(out)}
        results["tally"]["file_bytes"] = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
        # Compaction of a copy: what the file shrinks to (the import leaves superseded blocks).
        copy = os.path.join(a.workdir, "tally-compacted.tally")
        shutil.copyfile(db, copy)
        out, _, _ = measure_child([tally_bench, "compact", copy])
        results["tally"]["compaction"] = json.loads(out)
        if tally_cli_has(tally_cli, "query"):
            results["tally"]["cli"] = time_cli_queries(tally_cli, db, q3_from)

    # Answers must agree before any time is worth printing.
    ok = True
    if "tally" in results:
        for peer in ("duckdb", "chdb"):
            if peer in results:
                problems = compare_answers(peer, results["tally"]["queries"], results[peer]["queries"])
                problems += compare_q2(results["tally"]["queries"]["q2"]["answer"], results[peer]["queries"]["q2"]["answer"])
                log(f"answers Tally vs {peer}: " + ("agree" if not problems else "DISAGREE"))
                for p in problems:
                    log("  " + p)
                ok = ok and not problems
    if "duckdb" in results and "chdb" in results:
        problems = compare_q2(results["duckdb"]["queries"]["q2"]["answer"], results["chdb"]["queries"]["q2"]["answer"])
        problems += compare_answers("chdb", results["duckdb"]["queries"], results["chdb"]["queries"], tolerance=0)
        log("answers DuckDB vs chDB (q1-q4): " + ("agree" if not problems else "DISAGREE"))
        for p in problems:
            log("  " + p)
        ok = ok and not problems

    print_table(results, events, file_bytes)
    if "duckdb" in results:
        print("\nq2 (DuckDB): variant, units exposed, converted units, conversions, purchasers, purchases, revenue")
        for row in results["duckdb"]["queries"]["q2"]["answer"]:
            print("   ", row)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"events": events, "ndjson_bytes": file_bytes, "q3_from": q3_from, "results": results}, f, indent=1)
    if not ok:
        sys.exit(1)


def print_table(results, events, ndjson_bytes):
    rows = []
    tally = results.get("tally")

    def add(engine, op, seconds, base):
        ratio = "" if base is None or seconds is None or base == 0 else f"{seconds / base:10.2f}x"
        rows.append((engine, op, seconds, ratio))

    for engine in ("tally", "duckdb", "chdb"):
        r = results.get(engine)
        if r is None:
            continue
        add(engine, "load", r["load_s"], tally and tally["load_s"])
        queries = r["queries"]
        for q in ("q1", "q2", "q3", "q4"):
            if q in queries:
                base = tally["queries"][q]["median_s"] if tally and q in tally["queries"] else None
                add(engine, q, queries[q]["median_s"], base)
        # The first run of each query after opening: Tally's query cache and the peers' buffers
        # are empty (the operating system's page cache is not).
        for q in ("q1", "q3", "q4"):
            if q in queries and "cold_s" in queries[q]:
                base = tally["queries"][q].get("cold_s") if tally and q in tally["queries"] else None
                add(engine, q + " cold", queries[q]["cold_s"], base)
    print(f"\n{events} events, NDJSON {ndjson_bytes / 1e6:.0f} MB. Seconds: load = wall clock; queries = warm median"
          " (cold: the first run after opening). ratio = engine time / Tally time (above 1: Tally is faster).")
    print(f"{'engine':8} {'operation':10} {'seconds':>12} {'ratio to Tally':>15}")
    for engine, op, seconds, ratio in rows:
        print(f"{engine:8} {op:10} {seconds:12.6f} {ratio:>15}")
    print(f"\n{'engine':8} {'load events/s':>14} {'load CPU s':>11} {'file bytes/event':>17} {'peak RSS MB':>12}")
    for engine in ("tally", "duckdb", "chdb"):
        r = results.get(engine)
        if r:
            print(f"{engine:8} {events / r['load_s']:14,.0f} {r['load_cpu_s']:11.2f} {r['file_bytes'] / events:17.2f}"
                  f" {r['peak_rss'] / 1e6:12.0f}")
    if tally:
        c = tally.get("compaction")
        if c:
            print(f"\nTally compaction of the imported file: {c['seconds']:.2f} s, {c['bytes_before'] / events:.2f} -> "
                  f"{c['bytes_after'] / events:.2f} bytes/event ({c['segments_before']} -> {c['segments_after']} segments)")
        print(f"\nTally import ran through: {tally['import_via']}")
        if tally.get("cli"):
            print("tally CLI, whole command (s): " + ", ".join(f"{k} {v:.3f}" for k, v in tally["cli"].items()))


if __name__ == "__main__":
    main()
