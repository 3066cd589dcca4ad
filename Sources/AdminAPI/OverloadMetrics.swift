import Prometheus

/// The overload-control series (docs/OVERLOAD.md), handles cached at creation because refusals
/// are counted at storm rates (thousands a second) from the signalling thread:
/// - `sbc_overload_rejected_total{reason}`: new calls refused with 503, by `reason` (`cps`,
///   `loop_lag`, `receive_queue`).
/// - `sbc_overloaded`: 1 while the SBC counts itself overloaded by measured load.
/// - `sbc_loop_lag_seconds`: gauge, the largest event-loop lag of the last second.
/// - `sbc_loop_lag_histogram_seconds`: histogram of every lag sample (one per 10 ms tick).
/// - `sbc_rate_limited_total`: requests dropped unanswered from sources blocked by
///   `security.rate_limit`; `sbc_rate_limited_sources` the number blocked now.
/// - `sbc_sip_connections_closed_total{reason}`: TCP/TLS connections closed or refused for
///   protection: `slow` (message deadline), `shed` (out of descriptors), `stranger`
///   (unknown source: refused at accept, or closed after its 403), `limit` (connection limits).
public final class OverloadMetrics: Sendable {
    private let rejected: [String: Counter]
    private let overloaded: Gauge
    private let lag: Gauge
    private let lagHistogram: DurationHistogram
    private let rateLimited: Counter
    private let blockedSources: Gauge
    private let connectionsClosed: [String: Counter]

    public static let rejectionReasons = ["cps", "loop_lag", "receive_queue"]
    public static let connectionCloseReasons = ["slow", "shed", "stranger", "limit"]

    public init(registry: PrometheusCollectorRegistry) {
        let rejectedName = MetricNameDescriptor(namespace: "sbc", subsystem: "overload", metricName: "rejected",
                                                unitName: "total", helpText: "New calls refused with 503 by overload control, by reason")
        var rejected: [String: Counter] = [:]
        for reason in Self.rejectionReasons {
            rejected[reason] = registry.makeCounter(descriptor: rejectedName, labels: [("reason", reason)])
        }
        self.rejected = rejected
        overloaded = registry.makeGauge(name: "sbc_overloaded",
                                        help: "1 while the SBC counts itself overloaded by measured load")
        overloaded.set(0.0)
        lag = registry.makeGauge(name: "sbc_loop_lag_seconds", help: "Largest signalling event-loop lag of the last second")
        lag.set(0.0)
        lagHistogram = registry.makeDurationHistogram(
            name: "sbc_loop_lag_histogram_seconds",
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1)],
            help: "Signalling event-loop lag samples (how late a 10 ms timer fired)")
        rateLimited = registry.makeCounter(name: "sbc_rate_limited_total",
                                           help: "Requests dropped from sources blocked by security.rate_limit")
        blockedSources = registry.makeGauge(name: "sbc_rate_limited_sources",
                                            help: "Sources blocked by security.rate_limit now")
        blockedSources.set(0.0)
        var closed: [String: Counter] = [:]
        for reason in Self.connectionCloseReasons {
            closed[reason] = registry.makeCounter(name: "sbc_sip_connections_closed_total", labels: [("reason", reason)],
                                                  help: "SIP TCP/TLS connections closed or refused for protection, by reason")
        }
        connectionsClosed = closed
    }

    public func rejectedCall(reason: String) { rejected[reason]?.increment() }
    public func setOverloaded(_ on: Bool) { overloaded.set(on ? 1.0 : 0.0) }
    public func lagSample(_ sample: Duration) { lagHistogram.record(sample) }
    public func setLag(_ worst: Duration) {
        let (seconds, attoseconds) = worst.components
        lag.set(Double(seconds) + Double(attoseconds) / 1e18)
    }
    public func rateLimitedRequest() { rateLimited.increment() }
    public func setBlockedSources(_ count: Int) { blockedSources.set(Double(count)) }
    /// Adds `count` closures for `reason` (the transport's counters, published as deltas).
    public func connectionsClosed(reason: String, count: Int) {
        guard count > 0 else { return }
        connectionsClosed[reason]?.increment(by: Int64(count))
    }
}
