import AdminAPI
import Routing
import SBCStore

/// Between a trunk's live health (monotonic) and what is persisted, audited and shown by the
/// admin API (wall clock).
enum TrunkStateMapping {
    static func record(_ snapshot: TrunkHealth.Snapshot, trunk: String, clock: WallClockAnchor) -> TrunkStateRecord {
        TrunkStateRecord(
            trunk: trunk, state: snapshot.state.rawValue, cause: snapshot.cause, detail: snapshot.detail,
            since: clock.wallNow - WallClockAnchor.seconds(snapshot.inState), lockedBy: snapshot.lockedBy,
            lockReason: snapshot.lockReason,
            quarantineUntil: snapshot.quarantineRemaining.map { clock.wallNow + WallClockAnchor.seconds($0) },
            awaitingApproval: snapshot.awaitingApproval)
    }

    /// After a restart: the state as it was, the time already spent in it, a quarantine's
    /// remaining time, a media gate; the last probe result is unknown, so health restarts from
    /// the cautious side.
    static func snapshot(_ record: TrunkStateRecord, clock: WallClockAnchor) -> TrunkHealth.Snapshot {
        TrunkHealth.Snapshot(
            state: TrunkHealthState(rawValue: record.state) ?? .down, cause: record.cause ?? "restored",
            detail: record.detail ?? "", inState: .seconds(max(0, clock.wallNow - record.since)),
            lockedBy: record.lockedBy, lockReason: record.lockReason, awaitingApproval: record.awaitingApproval,
            quarantineRemaining: record.quarantineUntil.flatMap { until in
                until > clock.wallNow ? .seconds(until - clock.wallNow) : nil
            },
            // The row keeps the visible state's cause: a trunk stored down for its media path
            // restarts with the media gate closed (docs/HEALTH.md, "Media-path probes").
            mediaPathFailed: record.state == TrunkHealthState.down.rawValue
                && record.cause == TrunkStateChange.Cause.mediaPathFailed)
    }

    static func audit(_ change: TrunkStateChange, clock: WallClockAnchor) -> AuditEntry {
        AuditEntry(at: clock.wall(change.at), subject: change.trunk, kind: "trunk", fromState: change.from.rawValue,
                   toState: change.to.rawValue, cause: change.cause, detail: change.detail, actor: change.actor)
    }

    static func status(_ snapshot: TrunkHealth.Snapshot, trunk: String, counters: TrunkCounters,
                       clock: WallClockAnchor) -> TrunkStatus
    {
        TrunkStatus(
            name: trunk, state: snapshot.state.rawValue, since: clock.wallNow - WallClockAnchor.seconds(snapshot.inState),
            cause: snapshot.cause, detail: snapshot.detail.isEmpty ? nil : snapshot.detail,
            selectable: snapshot.isSelectable, lockedBy: snapshot.lockedBy, lockReason: snapshot.lockReason,
            quarantineUntil: snapshot.quarantineRemaining.map { clock.wallNow + WallClockAnchor.seconds($0) },
            awaitingApproval: snapshot.awaitingApproval,
            lastProbeRTTMs: snapshot.lastProbeRTT.map { WallClockAnchor.seconds($0) * 1000 }, counters: counters)
    }
}
