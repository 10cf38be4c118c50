/// Agreement with reference values from make_statistics_vectors.py.
enum StatisticsTolerance {
    /// True when `actual` is within `relative` of `expected` in relative terms, or within
    /// `absolute` (for differences that may be 0, where relative error means nothing). NaN never
    /// agrees; equal infinities do.
    static func agrees(
        _ actual: Double, _ expected: Double, relative: Double = 1e-9, absolute: Double = 0
    ) -> Bool {
        if actual == expected { return true }
        let error = abs(actual - expected)
        return error <= relative * abs(expected) || error <= absolute
    }
}
