import AdminAPI
import B2BUA

extension SignallingServer {
    /// How often the call gauges reach /metrics.
    static let callGaugeInterval: Duration = .seconds(1)

    /// `sbc_active_calls`, `sbc_trunk_active_calls{trunk}` and `sbc_trunk_state{trunk,state}` from
    /// the same state the admin API reports (`GET /api/v1/status`, each trunk's `state` and
    /// `counters.activeCalls`), then again every second. Why on a timer: the call gauges used to
    /// move only when a call ended, so they read 0 while calls were up, and a trunk whose state
    /// never changed had no state series at all (issue 14); once a second costs nothing.
    func publishCallGauges() {
        metrics.setActiveCalls(b2bua.activeCalls)
        callCount.value.withLock { $0 = b2bua.activeCalls }
        publishStoreGauges()
        if establishedCalls != nil { metrics.setRecoverableCalls(b2bua.persistedCalls) }
        for trunk in configuration.trunks {
            metrics.setTrunkActiveCalls(trunk: trunk.name, count: b2bua.availability.activeCalls(on: trunk.name))
            if let health = b2bua.trunkHealth(named: trunk.name) {
                metrics.setTrunkState(trunk: trunk.name, state: health.state.rawValue)
            }
        }
        _ = loop.schedule(after: Self.callGaugeInterval) { [unowned self] in self.publishCallGauges() }
    }

    /// The store writers' counters into /metrics; a database that becomes unreachable or comes
    /// back, and writes lost to a full buffer, also go to the alert webhook (once per change).
    private func publishStoreGauges() {
        for (name, counters) in [("cdr", callRecords.counters), ("state", operationalState.counters)] {
            let totals = StoreTotals(written: counters.written, dropped: counters.dropped, failed: counters.failed,
                                     backlog: counters.backlog, reachable: counters.reachable)
            let before = metrics.setStore(name, totals)
            guard totals.reachable != before.reachable || totals.dropped > before.dropped else { continue }
            alerts?.notify([
                "kind": "store", "store": name, "reachable": "\(totals.reachable)", "backlog": "\(totals.backlog)",
                "dropped_total": "\(totals.dropped)", "database": operationalState.path, "node": configuration.node.name,
            ])
        }
    }
}
