#!/usr/bin/env python3
"""Reference values for the Experiments statistics tests (SciPy; cross-checked with mpmath).

Run: python3 make_statistics_vectors.py > vectors.txt  (SciPy >= 1.17 and mpmath; the values in
the tests were produced with SciPy 1.17.1, mpmath 1.3.0). It prints Swift array literals that are
pasted, unchanged, into DistributionsTests.swift, StudentTTests.swift and StatisticsTests.swift;
the tests never run Python.
Blocks go to SpecialFunctionsTests.swift as well. Each block names the SciPy call that produced it.

Every distribution value is also computed with mpmath at 50 digits; the script stops if SciPy
and mpmath disagree by more than 1e-12 relative, so the vectors are trustworthy well below the
tests' 1e-9 tolerance.
"""
import math
from fractions import Fraction

import mpmath
import numpy as np
from scipy import special, stats

mpmath.mp.dps = 50


def lit(x):
    """A Swift Double literal that round-trips exactly."""
    if x is None:
        return "nil"
    x = float(x)
    if math.isinf(x):
        return ".infinity" if x > 0 else "-.infinity"
    return repr(x)


def check(name, scipy_value, exact):
    exact = mpmath.mpf(exact)
    error = abs(mpmath.mpf(float(scipy_value)) - exact) / abs(exact) if exact != 0 else abs(scipy_value)
    assert error < 1e-12, (name, float(scipy_value), float(exact), float(error))


def block(name, rows):
    print(f"// {name}")
    print("[")
    for row in rows:
        print("    (" + ", ".join(row) + "),")
    print("]\n")


# ---- Normal --------------------------------------------------------------------------------
rows = []
for x in [-37.5, -30.0, -8.0, -5.0, -1.959963984540054, -0.5, 0.0, 0.5, 1.0, 8.0, 30.0]:
    cdf, sf = stats.norm.cdf(x), stats.norm.sf(x)
    check("norm.cdf", cdf, mpmath.ncdf(x))
    check("norm.sf", sf, mpmath.ncdf(-x))
    rows.append([lit(x), lit(cdf), lit(sf)])
block("Normal: (x, scipy.stats.norm.cdf(x), scipy.stats.norm.sf(x))", rows)

rows = []
for p in [1e-300, 1e-20, 1e-8, 0.001, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999999]:
    q = stats.norm.ppf(p)
    if p != 0.5:
        check("norm.ppf", stats.norm.cdf(q) if p < 0.5 else stats.norm.sf(q),
              mpmath.ncdf(q) if p < 0.5 else mpmath.ncdf(-q))
        exact = mpmath.findroot(lambda z: mpmath.log(mpmath.ncdf(z)) - mpmath.log(p), q, tol=1e-40)
        check("norm.ppf", q, exact)
    rows.append([lit(p), lit(q)])
block("Normal quantile: (p, scipy.stats.norm.ppf(p))", rows)


# ---- Student t -----------------------------------------------------------------------------
def t_cdf_exact(t, df):
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    tail = 0.5 * mpmath.betainc(df / 2, 0.5, 0, df / (df + t * t), regularized=True)
    return tail if t < 0 else 1 - tail


rows = []
for df in [1.0, 2.5, 30.0, 1e6]:
    for t in [-30.0, -8.0, -2.0, -0.5, 0.1, 1.5, 8.0, 30.0]:
        cdf, two = stats.t.cdf(t, df), 2 * stats.t.sf(abs(t), df)
        check("t.cdf", cdf, t_cdf_exact(t, df))
        check("t two-sided", two, 2 * t_cdf_exact(-abs(t), df))
        rows.append([lit(t), lit(df), lit(cdf), lit(two)])
block("Student t: (t, df, scipy.stats.t.cdf(t, df), 2 * scipy.stats.t.sf(abs(t), df))", rows)

rows = []
for df in [1.0, 2.0, 2.5, 7.3, 30.0, 1e6]:
    for p in [1e-10, 0.001, 0.025, 0.3, 0.975, 0.999]:
        q = stats.t.ppf(p, df)
        lower = min(p, 1 - p)
        exact = mpmath.findroot(
            lambda t: mpmath.log(t_cdf_exact(t, df)) - mpmath.log(lower), -abs(q), tol=1e-40)
        check("t.ppf", abs(q), -exact)
        rows.append([lit(p), lit(df), lit(q)])
block("Student t quantile: (p, df, scipy.stats.t.ppf(p, df))", rows)


# ---- Chi-square ----------------------------------------------------------------------------
rows = []
cases = [(k, x) for k in [1.0, 2.0, 3.0, 4.0]
         for x in [1e-6, 0.5, 3.841458820694124, 10.0, 50.0, 200.0, 1000.0, 1300.0]]
cases += [(9.0, 9.0), (30.0, 29.0), (30.0, 120.0), (100.0, 100.0), (100.0, 1000.0)]
for k, x in cases:
    sf = stats.chi2.sf(x, k)
    check("chi2.sf", sf, mpmath.gammainc(mpmath.mpf(k) / 2, mpmath.mpf(x) / 2, mpmath.inf,
                                         regularized=True))
    rows.append([lit(x), lit(k), lit(sf)])
block("Chi-square: (x, df, scipy.stats.chi2.sf(x, df))", rows)


# ---- Special functions ---------------------------------------------------------------------
rows = []
for a, b in [(0.5, 0.5), (3.0, 4.0), (0.5, 14.9), (15.0, 0.5), (0.5, 5e5), (12.5, 40.0), (1e6, 2e6)]:
    # scipy.special.betaln cancels two large lgamma values: 3.5e-11 relative error at
    # (0.5, 5e5). These are mpmath values, printed with SciPy's relative error beside them.
    value = mpmath.log(mpmath.beta(a, b))
    scipy_error = abs(special.betaln(a, b) - value) / abs(value)
    rows.append([lit(a), lit(b), lit(value) + f" /* scipy.special.betaln off by {float(scipy_error):.1e} */"])
block("Log beta: (a, b, mpmath.log(mpmath.beta(a, b)))", rows)

rows = []
for a, x in [(0.5, 0.1), (2.5, 1.0), (3.0, 10.0), (15.0, 14.0), (15.0, 16.5), (250.0, 240.0),
             (5e5, 5.02e5), (1.5, 400.0)]:
    upper = special.gammaincc(a, x)
    check("gammaincc", upper, mpmath.gammainc(a, x, mpmath.inf, regularized=True))
    check("gammainc", special.gammainc(a, x), mpmath.gammainc(a, 0, x, regularized=True))
    rows.append([lit(a), lit(x), lit(special.gammainc(a, x)), lit(upper)])
block("Regularized gamma: (a, x, scipy.special.gammainc(a, x), scipy.special.gammaincc(a, x))", rows)


# ---- Two-proportion z-test (pooled p-value, unpooled Wald interval) -------------------------
def two_proportion(x1, n1, x2, n2, confidence):
    p1, p2 = x1 / n1, x2 / n2
    diff = p2 - p1
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z_crit = -stats.norm.ppf((1 - confidence) / 2)
    pooled = (x1 + x2) / (n1 + n2)
    pooled_se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = diff / pooled_se if pooled_se > 0 else 0.0
    p = 2 * stats.norm.sf(abs(z)) if pooled_se > 0 else 1.0
    lift = diff / p1 if p1 > 0 else None
    return [lit(diff), lit(lift), lit(diff - z_crit * se), lit(diff + z_crit * se), lit(z), lit(p)]


rows = []
for x1, n1, x2, n2, c in [(200, 10000, 250, 10000, 0.95), (0, 500, 7, 480, 0.95),
                          (5000, 10000, 5600, 10000, 0.95), (100000, 1000000, 112500, 1000000, 0.95),
                          (31, 400, 22, 410, 0.99), (0, 10, 10, 10, 0.95), (3, 7, 1, 9, 0.8)]:
    rows.append([str(x1), str(n1), str(x2), str(n2), lit(c)] + two_proportion(x1, n1, x2, n2, c))
block("Two proportions: (x1, n1, x2, n2, confidence, difference, relativeLift, ciLower, ciUpper,"
      " z, pValue); numpy formula in two_proportion()", rows)


# ---- Welch's t-test from moments -------------------------------------------------------------
def welch(control, treatment, confidence):
    stats_ = []
    for n, s, ss in (control, treatment):
        mean = Fraction(s) / n
        var = (Fraction(ss) - Fraction(s) * Fraction(s) / n) / (n - 1)
        stats_.append((n, float(mean), float(max(var, 0))))
    (n1, m1, v1), (n2, m2, v2) = stats_
    result = stats.ttest_ind_from_stats(m2, math.sqrt(v2), n2, m1, math.sqrt(v1), n1, equal_var=False)
    vn1, vn2 = v1 / n1, v2 / n2
    df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (n1 - 1) + vn2 ** 2 / (n2 - 1))
    se = math.sqrt(vn1 + vn2)
    crit = stats.t.ppf(1 - (1 - confidence) / 2, df)
    diff = m2 - m1
    return [lit(diff), lit(df), lit(result.statistic), lit(diff - crit * se), lit(diff + crit * se),
            lit(result.pvalue)]


rows = []
for control, treatment, c in [
    ((1000, 10000.0, 103996.0), (1200, 12360.0, 133303.0), 0.95),      # means 10, 10.3; var 4, 5
    ((50000, 100000.0, 200499.99), (12, 30.0, 4475.0), 0.95),         # var 0.01 vs 400; n 50000 vs 12
    ((1000000, 1000000.0, 1999999.0), (1000000, 1050000.0, 2102499.0), 0.95),  # t ~ 35
    ((2, 4.0, 10.0), (3, 21.0, 189.0), 0.95),                         # df ~ 2.5
    ((100, 0.0, 0.0), (100, 50.0, 80.0), 0.95),                       # control variance 0
    ((20000, 400.0, 400.0), (20000, 520.0, 520.0), 0.9),              # 0/1 values
]:
    rows.append([f"SampleMoments(count: {control[0]}, sum: {lit(control[1])}, sumOfSquares: {lit(control[2])})",
                 f"SampleMoments(count: {treatment[0]}, sum: {lit(treatment[1])}, sumOfSquares: {lit(treatment[2])})",
                 lit(c)] + welch(control, treatment, c))
block("Welch: (control, treatment, confidence, difference, df, t, ciLower, ciUpper, pValue);"
      " scipy.stats.ttest_ind_from_stats(equal_var=False) and scipy.stats.t.ppf", rows)


# ---- Sample-ratio mismatch ---------------------------------------------------------------------
rows = []
for observed, weights in [([5000, 5000], None), ([5050, 4950], None), ([10000, 10321, 9800], None),
                          ([5100, 2950, 1950], [0.5, 0.3, 0.2]), ([10000, 11000], None),
                          ([100000, 104000], [1.0, 1.0]), ([250, 260, 240, 300], None),
                          ([900, 100], [9.0, 1.0])]:
    expected = None
    if weights is not None:
        w = np.array(weights)
        expected = sum(observed) * w / w.sum()
    p = stats.chisquare(observed, expected).pvalue
    rows.append(["[" + ", ".join(map(str, observed)) + "]",
                 "nil" if weights is None else "[" + ", ".join(lit(x) for x in weights) + "]", lit(p)])
block("SRM: (observed, weights, scipy.stats.chisquare(observed, total * w / sum(w)).pvalue)", rows)
