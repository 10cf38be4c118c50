/// Which pending (unsynced) changes a power cut leaves on the disk. Changes lost by a failed sync
/// never survive, under any policy.
public enum PowerLossPolicy: Sendable, Hashable, CaseIterable {
    /// No pending change survives: only what was synced.
    case dropUnsynced
    /// Every pending change survives (the page cache was written back just in time).
    case keepUnsynced
    /// Each pending change of each file survives or not, independently (probability ½), and a
    /// surviving write is torn one time in four: only a random strict prefix of it lands, or a
    /// random subset of its sectors (aligned on ``SimulatedFileSystem/sectorSize`` in the file).
    /// Deterministic for a given seed and history.
    case randomUnsynced
    /// In each file, every pending change but the last survives; the last one is torn: a write
    /// lands as a strict prefix (at least one byte short, and not empty when it has two bytes
    /// or more), a truncation does not happen.
    case tearLastWrite
}

extension SimulatedFileSystem {
    /// The unit of a torn write under ``PowerLossPolicy/randomUnsynced``.
    public static let sectorSize = 512

    /// The file system a restarted machine finds after a power cut now.
    ///
    /// The new file system holds the durable namespace (names whose directory was synced), and
    /// for each file its durable bytes with its pending changes applied as `policy` says
    /// (`seed` drives the random choices). Everything in it is durable; it holds no handles,
    /// locks, faults or counts. This file system is frozen as by ``crashNow()`` (if it was not
    /// already), so old handles keep failing with "simulated crash"; it can still be asked for
    /// further power-loss states, e.g. one per seed.
    public func powerLoss(_ policy: PowerLossPolicy, seed: UInt64 = 0) -> SimulatedFileSystem {
        let after = state.withLock { state in
            state.crashed = true
            return state.afterPowerLoss(policy, seed: seed)
        }
        return SimulatedFileSystem(state: after)
    }

    /// What ``powerLoss(_:seed:)`` would find now, while this file system keeps running: for
    /// checking, in the middle of a workload, what is durable at that moment.
    public func powerLossSnapshot(_ policy: PowerLossPolicy, seed: UInt64 = 0) -> SimulatedFileSystem {
        SimulatedFileSystem(state: state.withLock { $0.afterPowerLoss(policy, seed: seed) })
    }

    /// The file system a restarted process finds after `kill -9`: every change and the current
    /// namespace are visible, but nothing more is durable than before, so a later
    /// ``powerLoss(_:seed:)`` of the result can still lose the unsynced changes. Handles, locks,
    /// faults and counts are gone. This file system is frozen as by ``crashNow()``.
    public func processCrash() -> SimulatedFileSystem {
        let after = state.withLock { state in
            state.crashed = true
            return state.restarted()
        }
        return SimulatedFileSystem(state: after)
    }
}

extension FileSystemState {
    func afterPowerLoss(_ policy: PowerLossPolicy, seed: UInt64) -> FileSystemState {
        var after = FileSystemState()
        after.names = durableNames
        after.durableNames = durableNames
        after.nextFileID = nextFileID
        for id in Set(durableNames.values) {
            let file = files[id]!
            // One generator per file, so a file's fate does not depend on the other files.
            var random = SplitMix64(seed: seed ^ (UInt64(id.raw) &* 0x9E37_79B9_7F4A_7C15))
            let survivors = Self.survivors(of: file.pending.filter { !$0.lost }.map(\.change), policy, &random)
            var contents = file.durable
            for change in survivors { change.apply(to: &contents) }
            after.files[id] = FileState(durable: contents)
        }
        return after
    }

    /// The changes, in order, that reach the disk out of `pending` (torn ones as their pieces).
    static func survivors(
        of pending: [FileChange], _ policy: PowerLossPolicy, _ random: inout SplitMix64
    ) -> [FileChange] {
        switch policy {
        case .dropUnsynced:
            return []
        case .keepUnsynced:
            return pending
        case .tearLastWrite:
            guard let last = pending.last else { return [] }
            guard case .write(let offset, let bytes) = last, bytes.count >= 2 else { return pending.dropLast() }
            let kept = 1 + Int(random.next() % UInt64(bytes.count - 1))
            return pending.dropLast() + [.write(offset: offset, bytes: Array(bytes.prefix(kept)))]
        case .randomUnsynced:
            var result: [FileChange] = []
            for change in pending where random.next() % 2 == 0 {
                guard case .write(let offset, let bytes) = change, bytes.count >= 2, random.next() % 4 == 0 else {
                    result.append(change)
                    continue
                }
                result += random.next() % 2 == 0
                    ? [.write(offset: offset, bytes: Array(bytes.prefix(Int(random.next() % UInt64(bytes.count)))))]
                    : sectorSubset(offset: offset, bytes: bytes, &random)
            }
            return result
        }
    }

    /// The pieces of a write, cut on sector boundaries of the file, each kept with probability ½.
    static func sectorSubset(offset: Int, bytes: [UInt8], _ random: inout SplitMix64) -> [FileChange] {
        let sector = SimulatedFileSystem.sectorSize
        var pieces: [FileChange] = []
        var start = offset
        while start < offset + bytes.count {
            let end = min(offset + bytes.count, (start / sector + 1) * sector)
            if random.next() % 2 == 0 {
                pieces.append(.write(offset: start, bytes: Array(bytes[(start - offset)..<(end - offset)])))
            }
            start = end
        }
        return pieces
    }
}

/// A small seeded generator (SplitMix64), so power-loss outcomes, kill delays and test data are
/// reproducible from a seed.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
