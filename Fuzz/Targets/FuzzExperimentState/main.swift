@_spi(Fuzzing) import Tally

/// The experiment state decoder (format-spec.md section 7b, X1–X3) and the variant report.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzEntryPoints.experimentState(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
