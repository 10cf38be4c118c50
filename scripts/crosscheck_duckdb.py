#!/usr/bin/env python3
"""Cross-check Tally's answers against DuckDB on the same generated stream (second oracle).

Generates a stream with `tally generate`, imports it with `tally import`, then compares
`tally query --format json` (and `tally report --format json`) with SQL over the same NDJSON
in DuckDB: counts, sums and exact unit counts of the report must be equal; HyperLogLog unit
estimates must be within 2% of DuckDB's exact COUNT(DISTINCT).

  python3 scripts/crosscheck_duckdb.py --tally .build/debug/tally [--events 60000]

Needs: pip install duckdb. Exits non-zero on any disagreement.
"""
import argparse, json, os, subprocess, sys, tempfile

DAY, HOUR = 86_400_000, 3_600_000


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def tally_rows(tally, db, *args):
    return [json.loads(line) for line in run([tally, "query", db, *args, "--format", "json"]).splitlines() if line]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tally", required=True, help="path of the tally binary")
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    import duckdb

    work = tempfile.mkdtemp(prefix="tally-crosscheck-")
    stream, db = os.path.join(work, "events.ndjson"), os.path.join(work, "x.tally")
    with open(stream, "w") as out:
        subprocess.run([args.tally, "generate", "--events", str(args.events), "--days", "6", "--seed", str(args.seed)],
                       stdout=out, check=True)
    run([args.tally, "import", db, stream, "--batch-size", "5000"])
    # Arrival order matters for attribution: number the lines.
    numbered = os.path.join(work, "numbered.ndjson")
    with open(stream) as source, open(numbered, "w") as target:
        for seq, line in enumerate(source):
            event = json.loads(line)
            event["seq"] = seq
            target.write(json.dumps(event) + "\n")
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE e AS SELECT ts, metric, unit, value, seq,
        dims->>'country' AS country, dims->>'utm_source' AS utm_source, dims->>'template_id' AS template_id,
        dims->>'experiment' AS experiment, dims->>'variant' AS variant, dims->>'device' AS device
        FROM read_json('{numbered}', format='newline_delimited',
             columns={{ts:'BIGINT', metric:'VARCHAR', unit:'VARCHAR', value:'DOUBLE', seq:'BIGINT', dims:'JSON'}})""")
    failures = []

    def check(label, ok, detail=""):
        print(("ok    " if ok else "FAIL  ") + label + (f"  {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(label)

    # q1: events and sums per metric per day (buckets are hours; days align on UTC midnight).
    for metric in ["pageview", "exposure", "conversion", "purchase", "error"]:
        got = {(r["time"]): (r["count"], round(r.get("sum", 0), 6))
               for r in tally_rows(args.tally, db, metric, "--every", "day", "--measures", "count,sum")}
        want = {day: (n, round(s or 0, 6)) for day, n, s in con.execute(
            f"SELECT (ts // {DAY}) * {DAY}, count(*), sum(value) FROM e WHERE metric = ? GROUP BY 1", [metric]).fetchall()}
        check(f"q1 {metric} per day: counts and sums", got == want)
    # q3: distinct units per utm_source (HyperLogLog within 2%).
    got = {r["dims"]["utm_source"]: r["units"] for r in tally_rows(
        args.tally, db, "pageview", "--by", "utm_source", "--measures", "units")}
    want = dict(con.execute("SELECT utm_source, count(DISTINCT unit) FROM e WHERE metric = 'pageview' GROUP BY 1").fetchall())
    worst = max(abs(got.get(k, 0) - v) / v for k, v in want.items())
    check(f"q3 units per utm_source within 2% (worst {worst:.4f})", set(got) == set(want) and worst < 0.02)
    # q4: hourly pageviews for one template and country.
    got = {r["time"]: r["count"] for r in tally_rows(
        args.tally, db, "pageview", "--where", "template_id=t0001", "--where", "country=US", "--every", "hour")}
    want = dict(con.execute(f"""SELECT (ts // {HOUR}) * {HOUR}, count(*) FROM e WHERE metric = 'pageview'
        AND template_id = 't0001' AND country = 'US' GROUP BY 1""").fetchall())
    check("q4 hourly pageviews for t0001/US", got == want)
    # q2: the variant report, by the attribution rule, exactly.
    help_text = subprocess.run([args.tally, "--help"], capture_output=True, text=True).stdout
    if " report" not in help_text:
        print("skip  q2 variant report (tally report not built)")
    else:
        for experiment in ["checkout_button", "search_ranker"]:
            report = json.loads(run([args.tally, "report", db, experiment, "--format", "json"]))
            rows = con.execute("""
                WITH first AS (
                    SELECT unit, arg_min(variant, seq) AS variant, min(seq) AS seq0, arg_min(ts, seq) AS ts0
                    FROM e WHERE metric = 'exposure' AND experiment = ? GROUP BY unit),
                exposed AS (SELECT variant, count(*) AS units FROM first GROUP BY variant),
                credited AS (
                    SELECT f.variant, e.metric, count(DISTINCT e.unit) AS units, count(*) AS events,
                           coalesce(sum(e.value), 0) AS total
                    FROM e JOIN first f ON e.unit = f.unit
                    WHERE e.metric <> 'exposure' AND e.seq > f.seq0 AND e.ts >= f.ts0
                    GROUP BY f.variant, e.metric)
                SELECT x.variant, x.units, c.metric, c.units, c.events, c.total
                FROM exposed x LEFT JOIN credited c ON c.variant = x.variant""", [experiment]).fetchall()
            want_units = {v: u for v, u, *_ in rows}
            got_units = {v["variant"]: v["units"] for v in report["variants"]}
            check(f"q2 {experiment}: units exposed per variant", got_units == want_units, f"{got_units} vs {want_units}")
            ok = True
            for variant, _, metric, units, events, total in rows:
                if metric is None:
                    continue
                got = next(v for v in report["variants"] if v["variant"] == variant)["metrics"].get(metric)
                if got is None or got["units"] != units or got["events"] != events or abs(got["sum"] - total) > 1e-6 * max(1, abs(total)):
                    ok = False
                    print(f"      {variant}/{metric}: tally {got} vs duckdb units={units} events={events} sum={total}")
            check(f"q2 {experiment}: credited units, events and sums per variant and metric", ok)
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
