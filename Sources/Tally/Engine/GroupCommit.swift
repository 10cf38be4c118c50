import Dispatch

/// Group commit: concurrent `full`-durability ingests share one sync of the log.
///
/// Each batch gets an LSN when it is appended (under `stateLock`). A waiter either finds its LSN
/// already durable, waits for the sync in progress, or becomes the syncer: it reads the current
/// log writer and LSN under `stateLock`, syncs without any lock, then publishes the new durable
/// LSN under `syncLock` and wakes the others. A failed sync poisons the handle: the unsynced
/// batches' fate is unknown, so no waiter is told they are durable and no sync is retried.
extension Engine {
    func waitUntilDurable(_ lsn: UInt64) throws {
        switch options.durability {
        case .full: try syncUntilDurable(lsn)
        case .normal: scheduleBackgroundSync()
        case .off: break
        }
    }

    /// Starts making `lsn` durable without waiting: durability `full` syncs on another thread
    /// (sharing the group commit), `normal` schedules its background sync. A later
    /// ``waitUntilDurable(_:)`` finds the sync done or waits for it; a failed sync poisons the
    /// handle, so that wait throws.
    func startSync(upTo lsn: UInt64) {
        switch options.durability {
        case .full: DispatchQueue.global().async { [self] in try? syncUntilDurable(lsn) }
        case .normal: scheduleBackgroundSync()
        case .off: break
        }
    }

    func syncUntilDurable(_ lsn: UInt64) throws {
        syncLock.lock()
        defer { syncLock.unlock() }
        while durableLSN < lsn {
            if syncInProgress {
                syncCondition.wait(syncLock)
                continue
            }
            syncInProgress = true
            syncLock.unlock()
            let outcome = Result { try syncLog() }
            syncLock.lock()
            syncInProgress = false
            if case .success(let synced) = outcome { durableLSN = max(durableLSN, synced) }
            syncCondition.broadcast()
            if case .failure(let error) = outcome { throw error }
        }
    }

    /// Syncs the current log; returns the LSN that is now durable. Called without locks held.
    private func syncLog() throws -> UInt64 {
        let (writer, lsn, end) = try stateLock.withLock { () throws -> (WALWriter?, UInt64, UInt64) in
            if let failure { throw failure }
            return (wal, appendedLSN, wal?.end ?? 0)
        }
        guard let writer else { return lsn }  // flushed: everything up to `lsn` is in the file
        do {
            try writer.file.sync()
        } catch {
            throw stateLock.withLock { poison(error) }
        }
        stateLock.withLock { writer.markSynced(upTo: end) }
        return lsn
    }

    /// Durability `normal`: a sync follows within a few milliseconds of the first unsynced write.
    private func scheduleBackgroundSync() {
        let shouldSchedule = syncLock.withLock { () -> Bool in
            if syncScheduled { return false }
            syncScheduled = true
            return true
        }
        guard shouldSchedule else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) { [self] in
            syncLock.withLock { syncScheduled = false }
            let target = stateLock.withLock { isClosed ? 0 : appendedLSN }
            try? syncUntilDurable(target)
        }
    }

    /// Marks everything appended so far durable: called after a flush committed it to the file.
    func markAllDurable(upTo lsn: UInt64) {
        syncLock.withLock {
            durableLSN = max(durableLSN, lsn)
            syncCondition.broadcast()
        }
    }
}
