@_spi(Fuzzing) import Tally

/// The write-ahead log reader (format-spec.md W1–W6): odd first byte, checksums repaired first.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    FuzzEntryPoints.writeAheadLog(Array(bytes.dropFirst()), repairingChecksums: bytes[0] & 1 == 1)
    return 0
}
