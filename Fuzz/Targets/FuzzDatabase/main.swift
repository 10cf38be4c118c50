@_spi(Fuzzing) import Tally
import TallyTesting

/// A whole database file opened read-only, queried and verified; with an odd first byte the
/// header, superblock and block checksums are repaired first, so mutations reach the catalog,
/// segments and experiment state.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let repair = bytes.removeFirst() & 1 == 1
    if repair { FuzzEntryPoints.repairDatabaseChecksums(&bytes) }
    let disk = SimulatedFileSystem()
    disk.setContents(bytes, atPath: "/db/fuzz.tally")
    var options = Options()
    options.fileSystem = disk
    options.readOnly = true
    options.createIfMissing = false
    guard let db = try? Tally.open(at: "/db/fuzz.tally", options: options) else { return 0 }
    if let info = try? db.info() {
        for metric in info.metrics.prefix(4) {
            _ = try? db.query(Query(metric: metric.name, every: .hour, measures: Set(Measure.allCases)))
        }
    }
    for experiment in (try? db.experiments()) ?? [] { _ = try? db.variantReport(experiment: experiment.name) }
    _ = try? db.verify()
    return 0
}
