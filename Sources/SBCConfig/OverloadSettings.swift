import Yams

/// Overload control (YAML section `overload`): when the SBC refuses new calls early, with `503`
/// and `Retry-After`, so that the calls it does take complete and established calls, probes and
/// in-dialog traffic keep flowing. Described for operators in docs/OVERLOAD.md.
///
/// Why two triggers: a calls-per-second ceiling is what an operator sizes from a bench, and it
/// holds even when the host is idle; the measured load (event-loop lag, SIP receive-queue fill)
/// catches what a ceiling cannot know: a slower host, a debug build, a CPU shared with media.
public struct OverloadSettings: Sendable, Equatable {
    /// Admission control on or off (key `enabled`, default true). Off admits every new INVITE,
    /// whatever the load: only for benches that measure the unprotected SBC.
    public var enabled: Bool

    /// Most new calls (out-of-dialog INVITEs) admitted per second (key `max_cps`, default 0 = no
    /// ceiling, range 0-1000000). Set it to about 90% of the rate `bench/cps.sh` measured for the
    /// host: above it the SBC answers 503 without routing, and the admitted calls stay healthy.
    public var maxCallsPerSecond: Int

    /// Calls admitted at once above the steady `max_cps` (key `cps_burst`, default 0 = a tenth of
    /// a second's worth, at least 1; range 0-1000000): a platform sends in bursts, not evenly.
    public var burst: Int

    /// How long a message may wait for the SBC before new calls are refused (key
    /// `lag_threshold_ms`, default 100 ms, range 1-10000). Measured per UDP datagram from the
    /// kernel's receive time to the moment the loop handles it (an INVITE that waited longer gets
    /// 503), and as how late a 10 ms loop timer fires. The default is a fifth of T1: every call
    /// taken is answered long before the caller would retransmit, and a busy host's scheduling
    /// hiccups do not refuse calls at a healthy rate.
    public var lagThreshold: Duration

    /// Fill of a SIP UDP socket's receive queue, in percent of its buffer, above which the SBC
    /// counts as overloaded (key `queue_threshold_percent`, default 25, range 1-100), measured
    /// after each drain. Datagrams waiting there are minutes of work in the making; once the
    /// buffer is full the kernel drops what the SBC could have refused.
    public var queueThresholdPercent: Int

    /// How long the overloaded state lasts after the last sample above a threshold (key
    /// `hold_ms`, default 500 ms, range 0-60000): the `sbc_overloaded` gauge, probe timeouts
    /// discarded, and TCP/TLS INVITEs (no kernel receive time) refused after a late loop timer.
    /// A UDP INVITE is judged by its own wait, so admission does not flap with the hold.
    public var hold: Duration

    /// Seconds in the `Retry-After` of the 503s (key `retry_after_s`, default 2, range 0-3600;
    /// 0 sends no Retry-After). Platforms and carriers (RFC 3261 21.5.4) wait this long before
    /// retrying the SBC, or send the call elsewhere at once.
    public var retryAfter: Int

    /// `SO_RCVBUF` of the SIP UDP sockets in bytes (key `receive_buffer_bytes`, default 8 MiB,
    /// range 65536-1073741824). Set with `SO_RCVBUFFORCE` when the process may (root or
    /// CAP_NET_ADMIN), above `net.core.rmem_max`; otherwise capped by it. A storm lands here
    /// while the loop refuses it cheaply.
    public var receiveBufferBytes: Int

    /// Give memory back when the load has fallen (key `trim_memory`, default true): once the
    /// live calls and transactions are down to a quarter of their peak, the signalling tables are
    /// shrunk and freed heap is returned to the kernel (`malloc_trim`).
    public var trimMemory: Bool

    public static let defaultLagThreshold: Duration = .milliseconds(100)
    public static let defaultQueueThresholdPercent = 25
    public static let defaultHold: Duration = .milliseconds(500)
    public static let defaultRetryAfter = 2
    public static let defaultReceiveBufferBytes = 8 << 20

    /// Creates overload settings; every argument defaults to the documented default.
    public init(enabled: Bool = true, maxCallsPerSecond: Int = 0, burst: Int = 0,
                lagThreshold: Duration = OverloadSettings.defaultLagThreshold,
                queueThresholdPercent: Int = OverloadSettings.defaultQueueThresholdPercent,
                hold: Duration = OverloadSettings.defaultHold, retryAfter: Int = OverloadSettings.defaultRetryAfter,
                receiveBufferBytes: Int = OverloadSettings.defaultReceiveBufferBytes, trimMemory: Bool = true) {
        self.enabled = enabled
        self.maxCallsPerSecond = maxCallsPerSecond
        self.burst = burst
        self.lagThreshold = lagThreshold
        self.queueThresholdPercent = queueThresholdPercent
        self.hold = hold
        self.retryAfter = retryAfter
        self.receiveBufferBytes = receiveBufferBytes
        self.trimMemory = trimMemory
    }

    /// The token bucket's depth: `cps_burst`, or a tenth of a second of `max_cps` (at least 1).
    public var effectiveBurst: Int {
        burst > 0 ? burst : max(1, maxCallsPerSecond / 10)
    }
}

extension OverloadSettings {
    /// The keys of the `overload` section.
    static let keys = ["enabled", "max_cps", "cps_burst", "lag_threshold_ms", "queue_threshold_percent", "hold_ms",
                       "retry_after_s", "receive_buffer_bytes", "trim_memory"]

    /// Reads the `overload` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> OverloadSettings {
        var settings = OverloadSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.enabled = reader.boolean("enabled") ?? settings.enabled
        settings.maxCallsPerSecond = reader.integer("max_cps", in: 0...1_000_000) ?? settings.maxCallsPerSecond
        settings.burst = reader.integer("cps_burst", in: 0...1_000_000) ?? settings.burst
        settings.lagThreshold = reader.milliseconds("lag_threshold_ms", in: 1...10_000) ?? settings.lagThreshold
        settings.queueThresholdPercent = reader.integer("queue_threshold_percent", in: 1...100)
            ?? settings.queueThresholdPercent
        settings.hold = reader.milliseconds("hold_ms", in: 0...60_000) ?? settings.hold
        settings.retryAfter = reader.integer("retry_after_s", in: 0...3600) ?? settings.retryAfter
        settings.receiveBufferBytes = reader.integer("receive_buffer_bytes", in: 65_536...1_073_741_824, unit: "bytes")
            ?? settings.receiveBufferBytes
        settings.trimMemory = reader.boolean("trim_memory") ?? settings.trimMemory
        return settings
    }
}
