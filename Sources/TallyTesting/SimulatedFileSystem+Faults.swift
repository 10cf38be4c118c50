#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tally

extension SimulatedFileSystem {
    /// The kinds of engine-facing calls, for counting, faults and crashes.
    /// `fileExists` and `close` cannot fail and are not counted.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        /// `openFile(atPath:mode:)`, any mode.
        case open
        case read
        case write
        /// `FileHandle.size()`.
        case size
        case truncate
        /// `FileHandle.sync()`.
        case sync
        /// `FileHandle.lockExclusive()`.
        case lock
        case rename
        case remove
        case syncDirectory
        /// `contentsOfDirectory(atPath:)`.
        case listDirectory
    }

    /// A planned failure of one kind of call (LevelDB's `FaultInjectionTestEnv`, SQLite's crash VFS).
    ///
    /// The fault counts the calls of `kind` whose path matches `pathContains`, from when it is
    /// injected; the `afterCalls`-th such call fails with `TallyError(.io, …, osErrno: errno)`,
    /// and so does every later one when `persistent`. A failed call changes nothing, except:
    /// - a failed `write` with `partialWrite` first writes the first half of its bytes (rounded
    ///   down), like a short write followed by `ENOSPC`;
    /// - a failed `sync` loses the file's pending changes: they stay visible to reads but never
    ///   become durable, even if a later sync succeeds (see `PendingChange.lost`), so an engine
    ///   that retries a failed sync and trusts it loses data at the next power loss.
    public struct Fault: Sendable, Hashable {
        public var kind: Operation
        /// Usually `EIO` or `ENOSPC`.
        public var errno: Int32
        /// Which matching call fails first, from 1.
        public var afterCalls: Int
        /// Keep failing every matching call after the first failure.
        public var persistent: Bool
        /// Only calls whose path contains this substring count and fail (for `rename`, either
        /// path). `nil` matches every call.
        public var pathContains: String?
        /// For `write` faults: apply a prefix of the bytes before failing.
        public var partialWrite: Bool

        public init(
            kind: Operation, errno: Int32 = EIO, afterCalls: Int = 1, persistent: Bool = false,
            pathContains: String? = nil, partialWrite: Bool = false
        ) {
            precondition(afterCalls >= 1, "afterCalls counts from 1")
            self.kind = kind
            self.errno = errno
            self.afterCalls = afterCalls
            self.persistent = persistent
            self.pathContains = pathContains
            self.partialWrite = partialWrite
        }
    }

    /// Whether the call that triggers a crash takes effect before the file system freezes.
    public enum CrashTiming: Sendable, Hashable {
        /// The process dies as it makes the call: the call changes nothing (a `sync` leaves its
        /// changes pending).
        case before
        /// The call takes effect, then the process dies before it returns (a `sync` makes its
        /// changes durable). The call still throws, as the caller never runs again.
        case after
    }

    /// Arms `fault`. Several faults may be armed; each counts calls on its own, and the first
    /// armed one that fires decides the error.
    public func inject(_ fault: Fault) {
        state.withLock { $0.faults.append(ArmedFault(fault: fault)) }
    }

    /// Disarms every fault (a crash armed with ``crash(at:call:timing:)`` stays armed).
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// The number of calls of `operation` so far, failed ones included; calls refused after a
    /// crash are not counted.
    public func callCount(_ operation: Operation) -> Int {
        state.withLock { $0.callCounts[operation, default: 0] }
    }

    /// Arms a crash at the `k`-th `sync()` call from now (any file). See ``crash(at:call:timing:)``.
    public func crash(atSync k: Int, timing: CrashTiming = .before) {
        crash(at: .sync, call: k, timing: timing)
    }

    /// Arms a crash at the `k`-th call of `operation` from now, replacing any crash armed before.
    ///
    /// When it triggers, that call and every later call on this file system or its handles throws
    /// `TallyError(.io, "simulated crash", osErrno: EIO)` and changes nothing, as if the process
    /// had died; `fileExists` answers `false` and `close` does nothing. Then ``powerLoss(_:seed:)``
    /// or ``processCrash()`` gives the file system that a restarted engine finds.
    /// To sweep crash points, run the workload once, read ``callCount(_:)``, and crash at every k.
    public func crash(at operation: Operation, call k: Int, timing: CrashTiming = .before) {
        precondition(k >= 1, "calls count from 1")
        state.withLock { $0.crash = ArmedCrash(operation: operation, call: k, timing: timing) }
    }

    /// Freezes the file system now, as a triggered crash does.
    public func crashNow() {
        state.withLock { $0.crashed = true }
    }

    /// Whether a crash has frozen this file system.
    public var hasCrashed: Bool {
        state.withLock { $0.crashed }
    }
}

struct ArmedFault: Sendable {
    let fault: SimulatedFileSystem.Fault
    /// Matching calls seen since the fault was armed.
    var seen = 0
}

struct ArmedCrash: Sendable {
    let operation: SimulatedFileSystem.Operation
    let call: Int
    let timing: SimulatedFileSystem.CrashTiming
    var seen = 0
}

extension FileSystemState {
    /// The gate every engine-facing call passes, under the file system's lock: refuses calls after
    /// a crash, counts the call, triggers an armed crash, fires a matching fault (after letting
    /// `onFault` apply its partial effect), and otherwise runs `body`.
    mutating func perform<T>(
        _ operation: SimulatedFileSystem.Operation, paths: [String],
        onFault: (inout FileSystemState, SimulatedFileSystem.Fault) -> Void = { _, _ in },
        _ body: (inout FileSystemState) throws -> T
    ) throws -> T {
        guard !crashed else { throw Self.crashError }
        callCounts[operation, default: 0] += 1

        if var armed = crash, armed.operation == operation {
            armed.seen += 1
            crash = armed
            if armed.seen == armed.call {
                crash = nil
                if armed.timing == .after { _ = try? body(&self) }
                crashed = true
                throw Self.crashError
            }
        }

        if let fault = nextFiringFault(operation, paths: paths) {
            onFault(&self, fault)
            let reason = String(cString: strerror(fault.errno))
            throw TallyError(
                .io, "simulated \(operation.rawValue) failure: \(reason)", path: paths.first,
                osErrno: fault.errno)
        }
        return try body(&self)
    }

    /// Counts this call against every matching fault and returns the first that fires, disarming
    /// it unless it is persistent.
    private mutating func nextFiringFault(
        _ operation: SimulatedFileSystem.Operation, paths: [String]
    ) -> SimulatedFileSystem.Fault? {
        var firing: SimulatedFileSystem.Fault?
        var spent: [Int] = []
        for index in faults.indices {
            let fault = faults[index].fault
            guard fault.kind == operation else { continue }
            if let filter = fault.pathContains, !paths.contains(where: { $0.contains(filter) }) { continue }
            faults[index].seen += 1
            // A one-shot fault due on a call another fault already fails fires on the next one.
            guard faults[index].seen >= fault.afterCalls, firing == nil else { continue }
            firing = fault
            if !fault.persistent { spent.append(index) }
        }
        for index in spent.reversed() { faults.remove(at: index) }
        return firing
    }
}
