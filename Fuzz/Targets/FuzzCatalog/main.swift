@_spi(Fuzzing) import Tally

/// The catalog decoder (format-spec.md section 5, G1).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzEntryPoints.catalog(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
