@_spi(Fuzzing) import Tally

/// The segment reader (format-spec.md B1, S3–S6), block checksums repaired first.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzEntryPoints.segment(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
