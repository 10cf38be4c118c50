@_spi(Fuzzing) import Tally
import TallyTesting
#if canImport(Glibc)
import Glibc
#endif

// fuzz-seeds DIRECTORY: writes a seed corpus per target into DIRECTORY/<target>/, taken from a
// real database (two partitions, experiments, a flushed part and a log), through the
// deterministic simulated file system.
let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    print("usage: fuzz-seeds DIRECTORY")
    exit(2)
}
let fileSystem = SimulatedFileSystem()
var options = Options()
options.fileSystem = fileSystem
options.clock = ManualClock(nowMilliseconds: CrashWorkload.start)
let path = "/db/seed.tally"
let workload = CrashWorkload(seed: 4)
let db = try Tally.open(at: path, options: options)
for index in 0..<6 {
    let key = CrashWorkload.BatchKey(stream: 0, index: index)
    try db.ingest(workload.events(key), batchID: key.id)
    if index == 2 { try db.flush() }
}
try db.flush()
for index in 0..<2 {
    let key = CrashWorkload.BatchKey(stream: 1, index: index)
    try db.ingest(workload.events(key), batchID: key.id)
}
let files = fileSystem.processCrash().snapshotFiles()
let seeds = try FuzzEntryPoints.seeds(database: files[path]!, log: files[path + "-wal"])
let targets: [String: [[UInt8]]] = [
    "FuzzWAL": (seeds["wal"] ?? []).flatMap { log -> [[UInt8]] in [[0] + log, [1] + log] },
    "FuzzBatchRecord": seeds["batch-record"] ?? [],
    "FuzzSegment": seeds["segment"] ?? [],
    "FuzzCatalog": seeds["catalog"] ?? [],
    "FuzzExperimentState": seeds["experiment-state"] ?? [],
    "FuzzDatabase": (seeds["database"] ?? []).flatMap { file -> [[UInt8]] in [[0] + file, [1] + file] },
]
for (target, inputs) in targets {
    let directory = arguments[1] + "/" + target
    mkdir(directory, 0o755)
    for (index, input) in inputs.enumerated() {
        guard let file = fopen(directory + "/seed-\(index)", "wb") else { continue }
        _ = input.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    print("\(target): \(inputs.count) seeds")
}
