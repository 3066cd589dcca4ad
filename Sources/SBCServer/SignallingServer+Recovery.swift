import B2BUA
import Foundation
import Logging
import SBCConfig
import SBCStore

/// Established calls across restarts (docs/RESTART.md): the B2BUA's snapshots go to the state
/// database through the store's writer thread as JSON with wall-clock times; at start-up they
/// come back, rebased onto this process's monotonic clock, before the loop takes any traffic.
extension SignallingServer {
    /// Opens the snapshot store when `recovery.enabled` (nil otherwise).
    static func openEstablishedCalls(_ configuration: SBCConfiguration, path: String,
                                     logger: Logger) throws -> EstablishedCallStore? {
        guard configuration.recovery.enabled else { return nil }
        return try EstablishedCallStore(path: path, logger: logger)
    }

    /// Seconds to add to a monotonic instant (in seconds) to get unix time, now.
    private var wallClockOffset: Double {
        let clock = WallClockAnchor(monotonicNow: now)
        return clock.wallNow - WallClockAnchor.seconds(clock.monotonicNow)
    }

    /// Reads the stored snapshots and hands them to the B2BUA; turns snapshots on. At start-up,
    /// before the loop runs: the relay ports of restored calls are reserved before any new call.
    func restoreEstablishedCalls() {
        guard let store = establishedCalls else { return }
        b2bua.enableCallRecovery(firstWriteDelay: B2BUA.firstSnapshotDelay)
        let rows: [EstablishedCallRow]
        do {
            rows = try store.load()
        } catch {
            logger.error("established calls not read", metadata: ["error": "\(error)"])
            return
        }
        guard !rows.isEmpty else {
            metrics.setRestoredCalls(restored: 0, tornDown: 0, dropped: 0)
            return
        }
        let offset = wallClockOffset
        let decoder = JSONDecoder()
        var records: [EstablishedCallRecord] = []
        var unreadable = 0
        for row in rows {
            guard let record = try? decoder.decode(EstablishedCallRecord.self, from: Data(row.record)) else {
                // Never log the row: it holds SRTP keys.
                logger.error("established call snapshot unreadable, dropped", metadata: ["key": "\(row.key)"])
                store.remove(key: row.key)
                unreadable += 1
                continue
            }
            records.append(record.rebased(by: -offset))
        }
        let (outbound, report) = b2bua.restore(records, grace: configuration.recovery.grace, now: now)
        metrics.setActiveCalls(b2bua.activeCalls)
        metrics.setRestoredCalls(restored: report.restored, tornDown: report.torndown,
                                 dropped: report.dropped + unreadable)
        logger.notice("restart recovery", metadata: [
            "stored": "\(rows.count)", "restored": "\(report.restored)", "torn_down": "\(report.torndown)",
            "dropped": "\(report.dropped + unreadable)", "grace_s": "\(configuration.recovery.grace.components.seconds)",
        ])
        emit(outbound)
    }

    /// Hands the B2BUA's snapshot changes to the store's writer thread (from `emit`).
    func persistEstablishedCalls() {
        guard let store = establishedCalls else { return }
        let writes = b2bua.takeEstablishedCallWrites(now: now)
        scheduleHeldSnapshots()
        guard !writes.isEmpty else { return }
        let offset = wallClockOffset
        for write in writes {
            switch write {
            case .save(let record):
                store.save(key: record.key, record: record.rebased(by: offset))
            case .remove(let key):
                store.remove(key: key)
            }
        }
    }

    /// A first snapshot held back by `B2BUA.firstSnapshotDelay` is written when it falls due
    /// even if nothing else happens meanwhile: one timer for the earliest.
    private func scheduleHeldSnapshots() {
        guard let due = b2bua.nextEstablishedCallWrite, snapshotTimerDue.map({ due < $0 }) ?? true else { return }
        snapshotTimerDue = due
        _ = loop.schedule(after: max(.zero, due - now)) { [unowned self] in
            self.snapshotTimerDue = nil
            self.persistEstablishedCalls()
        }
    }

    /// `shutdown.mode: restart`: stop at once, leaving every established call in the state
    /// database for the next process (docs/RESTART.md). No BYE, no CDR: the calls go on.
    func stopForRestart(signal: Int32) {
        persistEstablishedCalls()
        logger.notice("stopping for restart, calls kept", metadata: [
            "signal": "\(signal)", "calls": "\(b2bua.activeCalls)", "stored": "\(b2bua.persistedCalls)",
        ])
        loop.stop()
    }
}
