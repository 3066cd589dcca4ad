import Prometheus

extension SBCMetrics {
    /// `sbc_restored_calls{outcome}`: what this process's start-up did with the established calls
    /// the previous one left in the state database (docs/RESTART.md): `restored` (dialogs and
    /// relay ports back), `torn_down` (restored only to be ended, e.g. a port already taken) and
    /// `dropped` (unreadable, of another record version, or naming a trunk or zone the
    /// configuration no longer has). Set once, at start-up, so an
    /// operator can see after an upgrade whether every call came through.
    public func setRestoredCalls(restored: Int, tornDown: Int, dropped: Int) {
        let descriptor = MetricNameDescriptor(
            namespace: "sbc", metricName: "restored_calls", unitName: "",
            helpText: "Established calls the last start-up took over from the state database, by outcome")
        for (outcome, count) in [("restored", restored), ("torn_down", tornDown), ("dropped", dropped)] {
            registry.makeGauge(descriptor: descriptor, labels: [("outcome", outcome)]).set(Int64(count))
        }
    }

    /// `sbc_recoverable_calls`: established calls whose snapshot is stored now, i.e. those a
    /// restart would keep. Below `sbc_active_calls` by the calls still ringing or failing over.
    public func setRecoverableCalls(_ count: Int) {
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "sbc", metricName: "recoverable_calls", unitName: "",
            helpText: "Established calls whose restart snapshot is stored"
        )).set(Int64(count))
    }
}
