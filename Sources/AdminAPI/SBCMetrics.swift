import Prometheus

/// The SBC's Prometheus series, served by `GET /metrics`.
///
/// The SBC core calls the setters from its signalling thread, so each is a lock-protected
/// dictionary lookup of a cached handle plus an atomic update on it: no allocation once a
/// trunk's series exist, nothing that waits on I/O. Handles are cached here rather than
/// looked up in the registry each time because the registry builds a label key per lookup.
///
/// Series:
/// - `sbc_trunk_state{trunk,state}`: 1 for the trunk's current state, 0 for states it was in before.
/// - `sbc_trunk_probe_rtt_seconds{trunk}`: round-trip time of the last successful probe.
/// - `sbc_calls_total{trunk,outcome}`: `outcome="attempted"` per B-leg INVITE sent to the trunk,
///   `outcome="answered"` per 2xx from it (so answered / attempted is the answer-seizure ratio).
/// - `sbc_failovers_total{trunk,cause}`: calls moved off `trunk` to the next candidate.
/// - `sbc_active_calls`: established or ringing calls in the SBC.
public final class SBCMetrics: Sendable {
    /// The underlying registry, for wiring further collectors (e.g. a swift-metrics factory).
    public let registry: PrometheusCollectorRegistry

    private struct TrunkSeries {
        var stateGauges: [String: Gauge] = [:]
        var currentState: String?
        var probeRTT: Gauge?
        var attempted: Counter?
        var answered: Counter?
        var failovers: [String: Counter] = [:]
    }

    // Descriptors are computed because `MetricNameDescriptor` is not `Sendable`.
    private let trunks = LockedState<[String: TrunkSeries]>([:])
    private let activeCalls: Gauge

    private static var stateName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "sbc", subsystem: "trunk", metricName: "state", unitName: "",
            helpText: "1 for the trunk's current state, 0 for its earlier states"
        )
    }
    private static var rttName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "sbc", subsystem: "trunk", metricName: "probe_rtt", unitName: "seconds",
            helpText: "Round-trip time of the trunk's last successful OPTIONS probe"
        )
    }
    private static var callsName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "sbc", metricName: "calls", unitName: "total",
            helpText: "Calls routed to a trunk: outcome attempted per INVITE sent, answered per 2xx"
        )
    }
    private static var failoversName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "sbc", metricName: "failovers", unitName: "total",
            helpText: "Calls moved off a trunk to the next candidate, by cause"
        )
    }
    private static var activeCallsName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "sbc", metricName: "active_calls", unitName: "",
            helpText: "Calls currently in progress"
        )
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.activeCalls = registry.makeGauge(descriptor: Self.activeCallsName)
        activeCalls.set(0.0)
    }

    /// Marks `state` as the trunk's current state (1) and every state it was in before as 0.
    public func setTrunkState(trunk: String, state: String) {
        trunks.withLock { all in
            var series = all[trunk] ?? TrunkSeries()
            if series.currentState == state { return }
            if let previous = series.currentState {
                series.stateGauges[previous]?.set(0.0)
            }
            let gauge = series.stateGauges[state] ?? registry.makeGauge(
                descriptor: Self.stateName, labels: [("trunk", trunk), ("state", state)]
            )
            gauge.set(1.0)
            series.stateGauges[state] = gauge
            series.currentState = state
            all[trunk] = series
        }
    }

    /// Records the last probe's round-trip time.
    public func setProbeRTT(trunk: String, seconds: Double) {
        trunks.withLock { all in
            if let gauge = all[trunk]?.probeRTT {
                gauge.set(seconds)
                return
            }
            let gauge = registry.makeGauge(descriptor: Self.rttName, labels: [("trunk", trunk)])
            gauge.set(seconds)
            all[trunk, default: TrunkSeries()].probeRTT = gauge
        }
    }

    /// One INVITE sent to the trunk.
    public func callAttempted(trunk: String) {
        counter(trunk: trunk, outcome: \.attempted, label: "attempted").increment()
    }

    /// One 2xx answer from the trunk.
    public func callAnswered(trunk: String) {
        counter(trunk: trunk, outcome: \.answered, label: "answered").increment()
    }

    /// One call moved off `trunk` because of `cause` (e.g. `timeout`, `503`, `transport`).
    public func failover(from trunk: String, cause: String) {
        let counter = trunks.withLock { all in
            if let counter = all[trunk]?.failovers[cause] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.failoversName, labels: [("trunk", trunk), ("cause", cause)]
            )
            all[trunk, default: TrunkSeries()].failovers[cause] = counter
            return counter
        }
        counter.increment()
    }

    /// Calls in progress now.
    public func setActiveCalls(_ count: Int) {
        activeCalls.set(Double(count))
    }

    /// The Prometheus text exposition of every series.
    public func render() -> String {
        registry.emitToString()
    }

    private func counter(
        trunk: String, outcome: WritableKeyPath<TrunkSeries, Counter?>, label: String
    ) -> Counter {
        trunks.withLock { all in
            if let counter = all[trunk]?[keyPath: outcome] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.callsName, labels: [("trunk", trunk), ("outcome", label)]
            )
            all[trunk, default: TrunkSeries()][keyPath: outcome] = counter
            return counter
        }
    }
}
