@_spi(Fuzzing) import Tally

/// The log's batch record decoder, and the head, experiment state and segment writer behind it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzEntryPoints.batchRecord(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
