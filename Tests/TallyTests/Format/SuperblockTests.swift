import Testing
@testable import Tally
import TallyTesting

/// Rules S1 and S2: the committed state is the valid superblock copy with the highest
/// generation; damage never silently rolls a database back to an older commit.
@Suite struct SuperblockTests {
    /// Two flushes, so both slots hold a generation; returns the disk and the answers.
    func twoCommits() throws -> (SimulatedFileSystem, [Int: UInt64]) {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Fixtures.taggedBatch(0, size: 3))
        try db.flush()
        try db.ingest(Fixtures.taggedBatch(1, size: 4))
        try db.flush()
        let counts = try Fixtures.batchCounts(db)
        try db.close()
        return (fileSystem, counts)
    }

    func newestSlot(_ bytes: [UInt8]) -> Int {
        let generations = Superblock.slotOffsets.map { Superblock.decode(Array(bytes[Int($0)...]))?.generation ?? 0 }
        return Int(Superblock.slotOffsets[generations[0] > generations[1] ? 0 : 1])
    }

    /// Regression: a flipped bit in the newest slot made the older slot win, so a reopened
    /// database lost its latest commit without a report, and a writer then cut the newer
    /// segments off the file (R3).
    @Test func aDamagedCopyOfTheNewestSuperblockDoesNotRollBack() throws {
        let (disk, counts) = try twoCommits()
        for damagedByte in [8, 17, 40, 56, 64 + 9, 64 + 57] {
            var bytes = disk.snapshotFiles()[Fixtures.path]!
            bytes[newestSlot(bytes) + damagedByte] ^= 0x10
            let copy = disk.processCrash()
            copy.setContents(bytes, atPath: Fixtures.path)
            let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(copy))
            #expect(try Fixtures.batchCounts(db) == counts, "damage at slot byte \(damagedByte)")
            try db.close()
            #expect(copy.fileSize(atPath: Fixtures.path) == bytes.count)
        }
    }

    /// A torn write of the slot (both copies damaged) still leaves the older slot in charge:
    /// that commit never completed.
    @Test func aSlotWithBothCopiesDamagedFallsBackToTheOlderSlot() throws {
        let (disk, _) = try twoCommits()
        var bytes = disk.snapshotFiles()[Fixtures.path]!
        let slot = newestSlot(bytes)
        bytes[slot + 20] ^= 1
        bytes[slot + 64 + 20] ^= 1
        let copy = disk.processCrash()
        copy.setContents(bytes, atPath: Fixtures.path)
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(copy))
        #expect(try Fixtures.batchCounts(db) == [0: 3])
    }

    /// Regression: a file cut below the newest commit's end fell back to the older slot (whose
    /// state still fitted) instead of reporting the truncation.
    @Test func aFileCutBelowItsCommittedEndIsCorruptionNotAnOlderState() throws {
        let (disk, _) = try twoCommits()
        let bytes = disk.snapshotFiles()[Fixtures.path]!
        let copy = disk.processCrash()
        copy.setContents(Array(bytes.dropLast(1)), atPath: Fixtures.path)
        let error = #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(copy)) }
        #expect(error?.code == .corruption)
        #expect(error?.offset == UInt64(bytes.count - 1))
        #expect(copy.fileSize(atPath: Fixtures.path) == bytes.count - 1, "a failed open must not change the file")
    }

    /// Regression: a superblock with a valid checksum but its catalog past its committed end
    /// made `committedEnd - catalogOffset` overflow, trapping instead of reporting corruption.
    @Test func aForgedSuperblockWithAnImpossibleLayoutIsCorruptionNotATrap() throws {
        let (disk, _) = try twoCommits()
        var bytes = disk.snapshotFiles()[Fixtures.path]!
        let slot = newestSlot(bytes)
        var forged = Superblock.decode(Array(bytes[slot..<slot + Superblock.encodedSize]))!
        forged.catalogOffset = forged.committedEnd + 100
        bytes.replaceSubrange(slot..<slot + Superblock.encodedSize, with: forged.encode())
        let copy = disk.processCrash()
        copy.setContents(bytes, atPath: Fixtures.path)
        let error = #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(copy)) }
        #expect(error?.code == .corruption)
        #expect(error?.offset == UInt64(slot))
    }

    /// Files written before the mirror copy existed (zeros after the first copy) open as before.
    @Test func slotsWithoutTheMirrorCopyStillOpen() throws {
        let (disk, counts) = try twoCommits()
        var bytes = disk.snapshotFiles()[Fixtures.path]!
        for slot in Superblock.slotOffsets.map(Int.init) {
            bytes.replaceSubrange(slot + 64..<slot + 128, with: [UInt8](repeating: 0, count: 64))
        }
        let copy = disk.processCrash()
        copy.setContents(bytes, atPath: Fixtures.path)
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(copy))
        #expect(try Fixtures.batchCounts(db) == counts)
    }
}
