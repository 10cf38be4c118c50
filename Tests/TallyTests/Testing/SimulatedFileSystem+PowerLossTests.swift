import Testing
import Tally
import TallyTesting

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct SimulatedFileSystemPowerLossTests {
    @Test func tornLastWriteAppliesAStrictPrefix() throws {
        for seed in UInt64(0)..<50 {
            let fs = SimulatedFileSystem()
            try fs.writeTestFile("db/wal", "head")
            let file = try fs.openFile(atPath: "db/wal", mode: .readWrite)
            try file.write(bytes("AAAA"), at: 4)
            try file.write(bytes("BBBBBBBBBB"), at: 8)
            let after = try #require(fs.powerLoss(.tearLastWrite, seed: seed).snapshotFiles()["db/wal"])
            #expect(after.count > 8 && after.count < 18)
            #expect(after == bytes("headAAAABBBBBBBBBB").prefix(after.count).map { $0 })
        }
    }

    @Test func tearLastWriteDropsATrailingTruncate() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/wal", "0123456789")
        let file = try fs.openFile(atPath: "db/wal", mode: .readWrite)
        try file.write(bytes("ab"), at: 0)
        try file.truncate(to: 3)
        #expect(fs.powerLoss(.tearLastWrite).snapshotFiles()["db/wal"] == bytes("ab23456789"))
    }

    @Test func randomPolicyIsDeterministicForASeed() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/wal", String(repeating: "s", count: 100))
        let file = try fs.openFile(atPath: "db/wal", mode: .readWrite)
        for index in 0..<40 {
            try file.write([UInt8](repeating: UInt8(index), count: 700), at: UInt64(index * 300))
        }
        var outcomes: Set<[UInt8]> = []
        for seed in UInt64(0)..<20 {
            let first = fs.powerLoss(.randomUnsynced, seed: seed).snapshotFiles()
            let second = fs.powerLoss(.randomUnsynced, seed: seed).snapshotFiles()
            #expect(first == second)
            outcomes.insert(try #require(first["db/wal"]))
        }
        #expect(outcomes.count > 1)
    }

    @Test func powerLossStateIsDurableAndUnlocked() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/LOCK", "")
        let lock = try fs.openFile(atPath: "db/LOCK", mode: .readWrite)
        try lock.lockExclusive()
        let after = fs.powerLoss(.keepUnsynced)
        #expect(after.isDurable(atPath: "db/LOCK"))
        try after.openFile(atPath: "db/LOCK", mode: .readWrite).lockExclusive()
        #expect(TallyError.thrown { _ = try lock.read(at: 0, count: 1) }?.message == "simulated crash")
    }

    @Test func randomPolicyKeepsDropsAndTearsWrites() throws {
        let write = (0..<2000).map { UInt8(truncatingIfNeeded: $0 % 251 + 1) }
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("f", "")
        try fs.openFile(atPath: "f", mode: .readWrite).write(write, at: 100)
        var dropped = 0, kept = 0, torn = 0
        for seed in UInt64(0)..<400 {
            let after = try #require(fs.powerLoss(.randomUnsynced, seed: seed).snapshotFiles()["f"])
            if after.isEmpty {
                dropped += 1
            } else if after == [UInt8](repeating: 0, count: 100) + write {
                kept += 1
            } else {
                torn += 1
                // Every byte that landed is the written byte; the rest are zeros of the gap.
                for (index, byte) in after.enumerated() where byte != 0 {
                    #expect(index >= 100 && byte == write[index - 100])
                }
            }
        }
        #expect(dropped > 0 && kept > 0 && torn > 0)
    }
}
