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
/// - `sbc_trunk_active_calls{trunk}`: calls in progress on a trunk (SBCMetrics+Calls.swift).
/// - `sbc_restored_calls{outcome}`, `sbc_recoverable_calls`: restart survival
///   (SBCMetrics+Restart.swift).
/// - `sbc_media_sessions`: calls with media anchored on the relay.
/// - `sbc_media_packets_total{outcome}`: RTP/RTCP packets `relayed`, or `dropped` (strangers,
///   malformed, nowhere to send yet): a rising drop rate is RTP injection or a broken latch.
/// - `sbc_media_bytes_total`: bytes relayed.
/// - `sbc_media_timeouts_total`: sides that fell silent past the media timeout.
/// - `sbc_media_srtp_failures_total{reason}`: SRTP/SRTCP packets dropped for `auth` (failed
///   authentication: forgery or a stale key), `replay`, or another SRTP `error`.
/// - `sbc_media_icmp_errors_total`: ICMP unreachable errors for packets the relay sent (a dead
///   party's process or host; those for a call's current party also reach the B2BUA).
/// - `sbc_mid_call_failovers_total{trunk,trigger}`: critical calls whose carrier leg on `trunk`
///   died of `trigger` and was replaced (or tried to be).
/// - `sbc_mid_call_failover_failures_total`: mid-call failovers that found no replacement.
/// - `sbc_tls_certificate_expiry_seconds{certificate,trunk}`: seconds until a certificate expires
///   (negative once expired): `certificate` is `zone:<name>` or `client:<trunk>` for the SBC's own,
///   `peer:<trunk>` for the last certificate a trunk presented.
/// - `sbc_tls_handshakes_total{direction}`: completed TLS handshakes, `inbound` or `outbound`.
/// - `sbc_tls_handshake_failures_total{cause}`: TLS connections refused or failed, by cause
///   (`certificate_expired`, `unknown_ca`, `name_mismatch`, `pin_mismatch`, `no_certificate`, ...).
/// - `sbc_mid_call_failover_audio_gap_seconds`: histogram, from the dead carrier's last packet
///   (or the trigger) to the new carrier's first.
/// - `sbc_mid_call_failover_reaction_seconds`: histogram, from the trigger to the new INVITE
///   handed to the kernel (pacing included).
public final class SBCMetrics: Sendable {
    /// The underlying registry, for wiring further collectors (e.g. a swift-metrics factory).
    public let registry: PrometheusCollectorRegistry
    /// Failovers, mid-call failovers and media timeouts per minute, for the status page.
    public let activity: ActivityHistory

    private struct TLSSeries {
        var expiry: [String: Gauge] = [:]
        var handshakes: [String: Counter] = [:]
        var failures: [String: Counter] = [:]
    }

    private struct TrunkSeries {
        var stateGauges: [String: Gauge] = [:]
        var currentState: String?
        var probeRTT: Gauge?
        var attempted: Counter?
        var answered: Counter?
        var failovers: [String: Counter] = [:]
        var midCallFailovers: [String: Counter] = [:]
    }

    // Descriptors are computed because `MetricNameDescriptor` is not `Sendable`.
    private let trunks = LockedState<[String: TrunkSeries]>([:])
    private let activeCalls: Gauge
    private let mediaSessions: Gauge
    private let mediaRelayed: Counter
    private let mediaDropped: Counter
    private let mediaBytes: Counter
    private let mediaTimeouts: Counter
    private let mediaICMPErrors: Counter
    private let srtpAuthFailures: Counter
    private let srtpReplays: Counter
    private let srtpErrors: Counter
    private let midCallFailures: Counter
    private let midCallGap: DurationHistogram
    private let midCallReaction: DurationHistogram
    private let tlsSeries = LockedState<TLSSeries>(TLSSeries())
    /// The relay's cumulative totals at the last `setMedia`, so counters advance by the difference.
    private let lastMedia = LockedState<MediaTotals>(MediaTotals())
    /// Each store's counters as last published (SBCMetrics+Store.swift), by store.
    let lastStore = LockedState<[String: StoreTotals]>([:])

    /// The relay's cumulative totals, as last published.
    public struct MediaTotals: Sendable {
        public var relayed: UInt64 = 0
        public var dropped: UInt64 = 0
        public var bytes: UInt64 = 0
        public var timeouts: UInt64 = 0
        public var icmpErrors: UInt64 = 0
        public var srtpAuthFailures: UInt64 = 0
        public var srtpReplays: UInt64 = 0
        public var srtpErrors: UInt64 = 0

        public init(relayed: UInt64 = 0, dropped: UInt64 = 0, bytes: UInt64 = 0, timeouts: UInt64 = 0,
                    icmpErrors: UInt64 = 0, srtpAuthFailures: UInt64 = 0, srtpReplays: UInt64 = 0,
                    srtpErrors: UInt64 = 0) {
            self.relayed = relayed
            self.dropped = dropped
            self.bytes = bytes
            self.timeouts = timeouts
            self.icmpErrors = icmpErrors
            self.srtpAuthFailures = srtpAuthFailures
            self.srtpReplays = srtpReplays
            self.srtpErrors = srtpErrors
        }
    }

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

    private static func tlsName(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sbc", subsystem: "tls", metricName: name, unitName: unit, helpText: help)
    }

    private static func midCallName(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sbc", subsystem: "mid_call", metricName: name, unitName: unit, helpText: help)
    }

    private static func mediaName(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sbc", subsystem: "media", metricName: name, unitName: unit, helpText: help)
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                activity: ActivityHistory = ActivityHistory()) {
        self.registry = registry
        self.activity = activity
        self.activeCalls = registry.makeGauge(descriptor: Self.activeCallsName)
        activeCalls.set(0.0)
        mediaSessions = registry.makeGauge(descriptor: Self.mediaName("sessions", "Calls with media anchored on the relay"))
        mediaSessions.set(0.0)
        let packets = Self.mediaName("packets", unit: "total", "RTP/RTCP packets relayed or dropped by the relay")
        mediaRelayed = registry.makeCounter(descriptor: packets, labels: [("outcome", "relayed")])
        mediaDropped = registry.makeCounter(descriptor: packets, labels: [("outcome", "dropped")])
        mediaBytes = registry.makeCounter(descriptor: Self.mediaName("bytes", unit: "total", "Bytes relayed"))
        mediaTimeouts = registry.makeCounter(
            descriptor: Self.mediaName("timeouts", unit: "total", "Call sides that fell silent past the media timeout"))
        mediaICMPErrors = registry.makeCounter(
            descriptor: Self.mediaName("icmp_errors", unit: "total", "ICMP unreachable errors for packets the relay sent"))
        let srtp = Self.mediaName("srtp_failures", unit: "total", "SRTP/SRTCP packets dropped by the relay, by reason")
        srtpAuthFailures = registry.makeCounter(descriptor: srtp, labels: [("reason", "auth")])
        srtpReplays = registry.makeCounter(descriptor: srtp, labels: [("reason", "replay")])
        srtpErrors = registry.makeCounter(descriptor: srtp, labels: [("reason", "error")])
        midCallFailures = registry.makeCounter(descriptor: Self.midCallName(
            "failover_failures", unit: "total", "Mid-call failovers that found no replacement carrier leg"))
        midCallGap = registry.makeDurationHistogram(
            descriptor: Self.midCallName("failover_audio_gap", unit: "seconds",
                                         "From the dead carrier's last packet to the new carrier's first"),
            // Fine around the usual media timeouts (4-5 s), where the percentiles that matter lie.
            buckets: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                      .seconds(2), .seconds(3), .seconds(4), .milliseconds(4100), .milliseconds(4200),
                      .milliseconds(4300), .milliseconds(4500), .seconds(5), .seconds(6), .seconds(8), .seconds(12),
                      .seconds(20)])
        midCallReaction = registry.makeDurationHistogram(
            descriptor: Self.midCallName("failover_reaction", unit: "seconds",
                                         "From a mid-call failover trigger to the new INVITE handed to the kernel"),
            buckets: [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                      .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1),
                      .seconds(5)])
    }

    /// Seconds until `certificate` expires; `trunk` is empty for certificates of no trunk.
    public func setCertificateExpiry(certificate: String, trunk: String, seconds: Double) {
        tlsSeries.withLock { series in
            let gauge = series.expiry[certificate] ?? registry.makeGauge(
                descriptor: Self.tlsName("certificate_expiry", unit: "seconds",
                                         "Seconds until a certificate expires (ours by zone or client, peers by trunk)"),
                labels: [("certificate", certificate), ("trunk", trunk)])
            series.expiry[certificate] = gauge
            gauge.set(seconds)
        }
    }

    /// One TLS handshake completed; `direction` is `inbound` or `outbound`.
    public func tlsHandshake(direction: String) {
        tlsSeries.withLock { series in
            let counter = series.handshakes[direction] ?? registry.makeCounter(
                descriptor: Self.tlsName("handshakes", unit: "total", "Completed TLS handshakes by direction"),
                labels: [("direction", direction)])
            series.handshakes[direction] = counter
            counter.increment()
        }
    }

    /// One TLS connection refused or failed, by cause.
    public func tlsFailure(cause: String) {
        tlsSeries.withLock { series in
            let counter = series.failures[cause] ?? registry.makeCounter(
                descriptor: Self.tlsName("handshake_failures", unit: "total", "TLS connections refused or failed, by cause"),
                labels: [("cause", cause)])
            series.failures[cause] = counter
            counter.increment()
        }
    }

    /// A critical call's carrier leg on `trunk` died of `trigger`.
    public func midCallFailover(from trunk: String, trigger: String) {
        let counter = trunks.withLock { all in
            if let counter = all[trunk]?.midCallFailovers[trigger] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.midCallName("failovers", unit: "total",
                                             "Critical calls whose carrier leg died and was replaced, by trigger"),
                labels: [("trunk", trunk), ("trigger", trigger)])
            all[trunk, default: TrunkSeries()].midCallFailovers[trigger] = counter
            return counter
        }
        counter.increment()
        activity.record(.midCallFailover)
    }

    public func midCallFailoverFailed() { midCallFailures.increment() }
    public func midCallAudioGap(_ gap: Duration) { midCallGap.record(gap) }
    public func midCallReaction(_ reaction: Duration) { midCallReaction.record(reaction) }

    /// The media relay's current sessions and cumulative totals.
    public func setMedia(sessions: Int, totals now: MediaTotals) {
        mediaSessions.set(Double(sessions))
        let last = lastMedia.withLock { last in
            defer { last = now }
            return last
        }
        func advance(_ counter: Counter, _ now: UInt64, _ before: UInt64) {
            if now > before { counter.increment(by: Int64(clamping: now - before)) }
        }
        advance(mediaRelayed, now.relayed, last.relayed)
        advance(mediaDropped, now.dropped, last.dropped)
        advance(mediaBytes, now.bytes, last.bytes)
        advance(mediaTimeouts, now.timeouts, last.timeouts)
        if now.timeouts > last.timeouts { activity.record(.mediaTimeout, count: Int(clamping: now.timeouts - last.timeouts)) }
        advance(mediaICMPErrors, now.icmpErrors, last.icmpErrors)
        advance(srtpAuthFailures, now.srtpAuthFailures, last.srtpAuthFailures)
        advance(srtpReplays, now.srtpReplays, last.srtpReplays)
        advance(srtpErrors, now.srtpErrors, last.srtpErrors)
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
