import Logging
import Routing
import SBCConfig
import SIPCore

/// Configuration hot reload (docs/RELOAD.md): new routing, trunks, groups, profiles and policy
/// for new calls, without touching the calls already up.
///
/// Why calls are safe: a call copies what it needs when it starts. Its legs hold their
/// `TrunkSettings`, its `RouteDecision` holds the candidates (with their settings) and the group,
/// so a BYE, re-INVITE or mid-call failover of an existing call reads the settings the call
/// started with, even when the reload changed or removed its trunk. The one name looked up later
/// is a header profile (by name, from the current settings): a call that sends a new INVITE after
/// the reload (mid-call failover) uses the profile as the file now defines it.
extension B2BUA {
    /// What a reload did to the trunks' health state machines, for the log and the audit trail.
    public struct HealthReconfiguration: Sendable, Equatable {
        /// New trunks: state `up` (cause `started`), probing from now.
        public var started: [String] = []
        /// Trunks whose `health` settings or group fail-back policy changed: their state carries
        /// over (like a restart's restore), the new thresholds apply from now.
        public var resettled: [String] = []
        /// Removed trunks: no longer probed nor shown; their state (and a lock, see `locksDropped`)
        /// is gone from the running SBC, its row stays in the state database.
        public var removed: [String] = []
        /// Removed trunks that were locked, with the operator who locked them.
        public var locksDropped: [String: String] = [:]
    }

    /// Swaps in the settings and routing table built from a reloaded configuration. Unchanged
    /// trunks keep their health state, counters and pending probe; new trunks start probing at
    /// once; removed trunks stop being probed (their timers find no trunk and lapse) and leave
    /// the health table. Forced failovers of groups that no longer exist are dropped.
    public mutating func reconfigure(settings: B2BUASettings, routing: RoutingTable,
                                     credentials: [String: TrunkAuthSettings], now: Duration) -> HealthReconfiguration
    {
        var report = HealthReconfiguration()
        let previous = self.routing
        self.settings = settings
        self.routing = routing
        useCredentials(credentials)
        for trunk in routing.allTrunks {
            let policy = routing.failBackPolicy(of: trunk.name)
            guard let current = health[trunk.name] else {
                health[trunk.name] = TrunkHealth(trunk: trunk.name, settings: trunk.health, failBack: policy, now: now)
                if trunk.health.probe { probeTimers.push(.send(trunk: trunk.name), at: now) }
                report.started.append(trunk.name)
                continue
            }
            let wasProbed = previous.trunk(named: trunk.name)?.health.probe ?? false
            if current.settings != trunk.health || current.failBack != policy {
                health[trunk.name] = TrunkHealth(restoring: current.snapshot(now: now), trunk: trunk.name,
                                                 settings: trunk.health, failBack: policy, now: now)
                report.resettled.append(trunk.name)
            }
            if trunk.health.probe, !wasProbed { probeTimers.push(.send(trunk: trunk.name), at: now) }
        }
        for name in health.keys.sorted() where routing.trunk(named: name) == nil {
            if let state = health.removeValue(forKey: name), state.state == .locked {
                report.locksDropped[name] = state.lockedBy ?? "unknown"
            }
            if let probe = pendingProbes.removeValue(forKey: name) {
                handle(transactions.abandonClient(probe.key), now: now)
            }
            report.removed.append(name)
        }
        for group in forcedFailover.keys where routing.group(named: group) == nil {
            forcedFailover.removeValue(forKey: group)
        }
        reconfigureActivations()
        armNewMediaProbes(now: now)
        record([])
        logger.notice("configuration applied", metadata: [
            "trunks_started": "\(report.started)", "trunks_resettled": "\(report.resettled)",
            "trunks_removed": "\(report.removed)", "calls": "\(calls.count)",
        ])
        return report
    }

    /// The trunk an in-dialog request belongs to when its source is no longer a configured
    /// trunk (removed or readdressed by a reload): the trunk the call's leg started with, so the
    /// calls already up end normally. Nil for requests outside a known dialog.
    func dialogTrunk(of request: SIPMessage) -> TrunkSettings? {
        guard let callID = request.callID, let tag = request.to?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call]
        else { return nil }
        return call[entry.leg].trunk
    }
}
