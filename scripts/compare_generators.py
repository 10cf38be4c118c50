#!/usr/bin/env python3
"""Compare the shape of two generated event streams (NDJSON), e.g. the Swift generator's
(`TallyWorkload`) and the reference script's (`gen_events.py`), made with the same --events,
--days and --late.

    scripts/compare_generators.py SWIFT.ndjson PYTHON.ndjson [--sigmas 5]

Prints one row per statistic: metric fractions, events per unit, exposure fraction and
variant split per experiment, conversion rate per variant, purchase value mean and median,
top-5 country and traffic-source shares, late fraction. The streams are independent samples
of the same model, so each row's tolerance is a number of standard errors of the difference
(default 5; event-level rows count events as clustered by session, variance x2). Exits 1 if
any row differs by more than its tolerance. Standard library only.
"""
import argparse, json, math, sys

CLUSTER = 2.0  # variance inflation for event-level proportions (events cluster in sessions)


class Stream:
    """The statistics of one NDJSON file, gathered in one pass."""

    def __init__(self, path):
        self.events = 0
        self.metrics = {}
        self.unit_events = {}
        self.unit_country, self.unit_source = {}, {}
        self.exposed = {}      # experiment -> {unit: variant}
        self.converted = set()
        self.values = []
        self.non_exposure = self.late = 0
        latest = None
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                e = json.loads(line)
                self.events += 1
                metric, unit, dims, ts = e["metric"], e.get("unit"), e.get("dims", {}), e["ts"]
                self.metrics[metric] = self.metrics.get(metric, 0) + 1
                self.unit_events[unit] = self.unit_events.get(unit, 0) + 1
                if metric == "exposure":
                    self.exposed.setdefault(dims["experiment"], {}).setdefault(unit, dims["variant"])
                else:
                    # A late event arrives after events with later timestamps.
                    self.non_exposure += 1
                    if latest is not None and ts < latest:
                        self.late += 1
                if latest is None or ts > latest:
                    latest = ts
                if metric == "pageview":
                    self.unit_country.setdefault(unit, dims.get("country"))
                    self.unit_source.setdefault(unit, dims.get("utm_source"))
                elif metric == "conversion":
                    self.converted.add(unit)
                elif metric == "purchase":
                    self.values.append(e["value"])
        self.values.sort()

    @property
    def units(self):
        return len(self.unit_events)


def proportion(k, n):
    return (k / n if n else float("nan")), n


def rows(a, b):
    """Yields (name, (value, n) for a, (value, n) for b, kind) with kind in proportion/event/mean."""
    for metric in sorted(set(a.metrics) | set(b.metrics)):
        yield (f"fraction of events: {metric}", proportion(a.metrics.get(metric, 0), a.events),
               proportion(b.metrics.get(metric, 0), b.events), "event")
    per_unit = lambda s: (s.events / s.units, s.units, variance(s.unit_events.values()))
    yield ("events per unit", per_unit(a), per_unit(b), "mean")
    for experiment in sorted(set(a.exposed) | set(b.exposed)):
        ea, eb = a.exposed.get(experiment, {}), b.exposed.get(experiment, {})
        yield (f"units exposed: {experiment}", proportion(len(ea), a.units), proportion(len(eb), b.units), "proportion")
        for variant in sorted(set(ea.values()) | set(eb.values())):
            ua = [u for u, v in ea.items() if v == variant]
            ub = [u for u, v in eb.items() if v == variant]
            yield (f"  share {experiment}/{variant}", proportion(len(ua), len(ea)), proportion(len(ub), len(eb)),
                   "proportion")
            yield (f"  conversion {experiment}/{variant}", proportion(sum(u in a.converted for u in ua), len(ua)),
                   proportion(sum(u in b.converted for u in ub), len(ub)), "proportion")
    yield ("units converting (all)", proportion(len(a.converted), a.units), proportion(len(b.converted), b.units),
           "proportion")
    mean = lambda s: (sum(s.values) / len(s.values), len(s.values), variance(s.values))
    yield ("purchase value mean", mean(a), mean(b), "mean")
    yield ("purchase value median", median(a.values), median(b.values), "mean")
    for label, attribute in (("country", "unit_country"), ("utm_source", "unit_source")):
        ca, cb = getattr(a, attribute), getattr(b, attribute)
        counts = {}
        for value in cb.values():
            counts[value] = counts.get(value, 0) + 1
        for value in sorted(counts, key=lambda v: -counts[v])[:5]:
            yield (f"share of units: {label}={value}", proportion(sum(v == value for v in ca.values()), len(ca)),
                   proportion(counts[value], len(cb)), "proportion")
    yield ("late fraction (non-exposure)", proportion(a.late, a.non_exposure), proportion(b.late, b.non_exposure),
           "event")


def variance(xs):
    xs = list(xs)
    m = sum(xs) / len(xs)
    return sum((x - m) ** 2 for x in xs) / max(len(xs) - 1, 1)


def median(xs):
    """The median, with n and the variance that makes sqrt(var/n) its standard error
    (from the density at the median, estimated by the 45th-55th percentile spread)."""
    n = len(xs)
    m = xs[n // 2]
    spread = xs[int(n * 0.55)] - xs[int(n * 0.45)]
    se = spread / 0.1 * 0.5 / math.sqrt(n)
    return m, n, se * se * n


def tolerance(kind, a, b, sigmas):
    if kind in ("proportion", "event"):
        (pa, na), (pb, nb) = a, b
        p = (pa * na + pb * nb) / (na + nb)
        var = p * (1 - p) * (1 / na + 1 / nb) * (CLUSTER if kind == "event" else 1)
    else:
        (_, na, va), (_, nb, vb) = a, b
        var = va / na + vb / nb
    return sigmas * math.sqrt(var)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("swift", help="NDJSON written by the Swift generator")
    ap.add_argument("python", help="NDJSON written by gen_events.py")
    ap.add_argument("--sigmas", type=float, default=5.0, help="tolerance in standard errors (default 5)")
    args = ap.parse_args()
    a, b = Stream(args.swift), Stream(args.python)
    print(f"{'statistic':44} {'swift':>10} {'python':>10} {'diff':>9} {'tolerance':>9}")
    print(f"{'events':44} {a.events:>10} {b.events:>10}")
    print(f"{'units':44} {a.units:>10} {b.units:>10}")
    failures = 0
    for name, va, vb, kind in rows(a, b):
        diff = va[0] - vb[0]
        tol = tolerance(kind, va, vb, args.sigmas)
        ok = abs(diff) <= tol
        failures += not ok
        print(f"{name:44} {va[0]:10.5g} {vb[0]:10.5g} {diff:+9.4f} {tol:9.4f} {'' if ok else 'DIFFERS'}")
    for label, x, y in (("events", a.events, b.events), ("units", a.units, b.units)):
        if abs(x - y) > 0.03 * max(x, y):
            print(f"{label} differ by more than 3%")
            failures += 1
    print(f"{failures} statistic(s) differ beyond tolerance ({args.sigmas:g} standard errors)" if failures
          else f"all statistics agree within {args.sigmas:g} standard errors")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
