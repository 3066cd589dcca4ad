import SIPCore
import Yams

/// What the SBC does with an in-dialog request whose method it does not know (key
/// `sip.unknown_methods`).
public enum UnknownMethodPolicy: String, Sendable, Equatable, CaseIterable {
    /// Answer `501 Not Implemented` (the default). Why: an SBC is a security boundary, and relaying
    /// methods nobody has tested lets one side exercise the other's parser with whatever it likes.
    case reject
    /// Relay it to the other leg like any in-dialog request; for platforms that use extension
    /// methods end to end and trust both sides.
    case relay
}

/// SIP protocol timers and limits (YAML section `sip`).
///
/// The timer defaults are RFC 3261's, which every carrier expects; they are configurable because
/// some networks (satellite links, congested carriers) need a larger T1, and a lab may want faster
/// failure detection. Time keys carry their unit in the name (`t1_ms`, `tcp_idle_timeout_s`) so that
/// a bare number in the file is never ambiguous.
public struct SIPSettings: Sendable, Equatable {
    /// RFC 3261 T1, the round-trip-time estimate (key `t1_ms`, default 500 ms, range 50-10000).
    ///
    /// Why it matters: it is the first retransmission interval of UDP requests and, times 64, the
    /// transaction timeout (32 s by default), which is how long a dead carrier holds a call attempt
    /// before failover. Lowering it speeds failover but multiplies retransmissions on a slow link.
    public var t1: Duration

    /// RFC 3261 T2, the longest retransmission interval for non-INVITE requests and INVITE
    /// responses (key `t2_ms`, default 4 s, range 100-60000, and at least T1).
    public var t2: Duration

    /// RFC 3261 T4, the longest time a message may stay in the network (key `t4_ms`, default 5 s,
    /// range 100-60000); it is how long completed UDP transactions linger to absorb retransmissions.
    public var t4: Duration

    /// Largest SIP message accepted, in bytes (key `max_message_bytes`, default 65535, range
    /// 1024-1048576). Why: it bounds the memory one peer can make the SBC buffer per message; 65535
    /// covers any UDP datagram, and large SDP or multipart bodies over TCP may need more.
    public var maxMessageBytes: Int

    /// `Max-Forwards` on requests the SBC originates (key `max_forwards`, default 70 as RFC 3261
    /// recommends, range 1-255). Relayed requests keep the decremented incoming value, which is
    /// what stops routing loops between SBCs.
    public var maxForwards: Int

    /// In-dialog requests with unknown methods (key `unknown_methods`, default `reject`).
    public var unknownMethods: UnknownMethodPolicy

    /// How long an idle TCP connection is kept (key `tcp_idle_timeout_s`, default 300 s, range
    /// 10-86400). Why: each connection costs a descriptor and buffers; carriers reconnect on demand,
    /// and too short a value makes them reconnect between calls.
    public var tcpIdleTimeout: Duration

    /// Interval of RFC 5626 CRLF keep-alive pings on TCP and TLS connections the SBC dialled (key
    /// `keepalive_interval_s`, default 30 s, range 0-3600, 0 = off). Why: a NAT or firewall between
    /// the SBC and a carrier forgets an idle flow silently, and the next BYE would be lost; a ping
    /// keeps it alive, and a ping that cannot be written shows the connection dead before a call needs it.
    /// Pings from peers are always answered.
    public var keepAliveInterval: Duration

    /// Most TCP and TLS connections open at once, inbound and outbound (key `max_connections`,
    /// default 4096, range 1-1000000). A connection beyond it is closed at accept. Why: each costs a
    /// descriptor and buffers, and descriptors are also what media ports need.
    public var maxConnections: Int

    /// Most connections accepted from one source address (key `max_connections_per_source`,
    /// default 64, range 1-1000000). Why: one misbehaving or hostile peer must not use up
    /// ``maxConnections`` for everyone.
    public var maxConnectionsPerSource: Int

    /// Longest time a TCP or TLS peer may take to send one complete message once its first byte
    /// arrived (key `message_deadline_s`, default 10 s, range 1-3600). Why: a slowloris peer
    /// sending a byte a second would otherwise hold a connection and a buffer forever, since
    /// each byte resets the idle timeout.
    public var messageDeadline: Duration = SIPSettings.defaultMessageDeadline

    /// Limits on header lines (keys `max_header_length`, default 4096 bytes, range 256-65535, and
    /// `max_headers`, default 64, range 16-1024): a request beyond them gets 400 naming the header,
    /// a field beyond them is never copied to the other leg. Why: a carrier's parser must never see
    /// what crashed SIPp carriers in the lab (30 KB lines, bare CR, NUL); see SIPSettings+Forwarding.
    public var headerLimits = SIPHeaderLimits.standard

    /// Largest B-leg INVITE sent to a UDP trunk (key `max_udp_message_bytes`, default 1300, range
    /// 576-65507). A larger one skips that trunk with 513 (RFC 3261 18.1.1: above 1300 bytes with
    /// the path MTU unknown a request needs a congestion-controlled transport; configure the trunk
    /// with `transport: tcp` to carry such calls, or raise this on a path with a known larger MTU).
    public var maxUDPMessageBytes = SIPSettings.defaultMaxUDPMessageBytes

    public static let defaultMessageDeadline: Duration = .seconds(10)
    public static let defaultT1: Duration = .milliseconds(500)
    public static let defaultT2: Duration = .seconds(4)
    public static let defaultT4: Duration = .seconds(5)
    public static let defaultMaxMessageBytes = 65535
    public static let defaultMaxForwards = 70
    public static let defaultTCPIdleTimeout: Duration = .seconds(300)
    public static let defaultKeepAliveInterval: Duration = .seconds(30)
    public static let defaultMaxConnections = 4096
    public static let defaultMaxConnectionsPerSource = 64

    /// Creates SIP settings; every argument defaults to the documented default.
    public init(t1: Duration = SIPSettings.defaultT1,
                t2: Duration = SIPSettings.defaultT2,
                t4: Duration = SIPSettings.defaultT4,
                maxMessageBytes: Int = SIPSettings.defaultMaxMessageBytes,
                maxForwards: Int = SIPSettings.defaultMaxForwards,
                unknownMethods: UnknownMethodPolicy = .reject,
                tcpIdleTimeout: Duration = SIPSettings.defaultTCPIdleTimeout,
                keepAliveInterval: Duration = SIPSettings.defaultKeepAliveInterval,
                maxConnections: Int = SIPSettings.defaultMaxConnections,
                maxConnectionsPerSource: Int = SIPSettings.defaultMaxConnectionsPerSource) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
        self.maxMessageBytes = maxMessageBytes
        self.maxForwards = maxForwards
        self.unknownMethods = unknownMethods
        self.tcpIdleTimeout = tcpIdleTimeout
        self.keepAliveInterval = keepAliveInterval
        self.maxConnections = maxConnections
        self.maxConnectionsPerSource = maxConnectionsPerSource
    }

    /// Timer B/F/H: 64 × T1, how long a transaction waits for a final response (32 s by default).
    public var transactionTimeout: Duration { t1 * 64 }
}

extension SIPSettings {
    /// The keys of the `sip` section.
    static let keys = ["t1_ms", "t2_ms", "t4_ms", "max_message_bytes", "max_forwards",
                       "unknown_methods", "tcp_idle_timeout_s", "keepalive_interval_s", "max_connections",
                       "max_connections_per_source", "message_deadline_s"] + forwardingKeys

    static let t1Range = 50...10_000
    static let t2Range = 100...60_000
    static let t4Range = 100...60_000
    static let maxMessageBytesRange = 1024...1_048_576
    static let maxForwardsRange = 1...255
    static let tcpIdleTimeoutRange = 10...86_400
    static let keepAliveIntervalRange = 0...3600
    static let connectionLimitRange = 1...1_000_000

    /// Reads the `sip` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> SIPSettings {
        var settings = SIPSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }

        let t1 = reader.milliseconds("t1_ms", in: t1Range)
        let t2 = reader.milliseconds("t2_ms", in: t2Range)
        settings.t1 = t1 ?? settings.t1
        settings.t2 = t2 ?? settings.t2
        // Compare only values that were read without problems (absent keys count: their defaults).
        let t1Usable = t1 != nil || reader.value("t1_ms") == nil
        let t2Usable = t2 != nil || reader.value("t2_ms") == nil
        if t1Usable, t2Usable, settings.t2 < settings.t1 {
            // RFC 3261 caps retransmission intervals at T2 after doubling from T1: T2 below T1
            // would make the first interval exceed the cap.
            problems.report(reader.path(t2 == nil ? "t1_ms" : "t2_ms"),
                            "T2 (\(settings.t2.milliseconds) ms) must not be less than T1 (\(settings.t1.milliseconds) ms)")
        }
        settings.t4 = reader.milliseconds("t4_ms", in: t4Range) ?? settings.t4
        settings.maxMessageBytes = reader.integer("max_message_bytes", in: maxMessageBytesRange, unit: "bytes")
            ?? settings.maxMessageBytes
        settings.maxForwards = reader.integer("max_forwards", in: maxForwardsRange) ?? settings.maxForwards
        settings.unknownMethods = reader.choice("unknown_methods") ?? settings.unknownMethods
        settings.tcpIdleTimeout = reader.seconds("tcp_idle_timeout_s", in: tcpIdleTimeoutRange)
            ?? settings.tcpIdleTimeout
        settings.keepAliveInterval = reader.seconds("keepalive_interval_s", in: keepAliveIntervalRange)
            ?? settings.keepAliveInterval
        settings.maxConnections = reader.integer("max_connections", in: connectionLimitRange) ?? settings.maxConnections
        settings.maxConnectionsPerSource = reader.integer("max_connections_per_source", in: connectionLimitRange)
            ?? settings.maxConnectionsPerSource
        settings.messageDeadline = reader.seconds("message_deadline_s", in: 1...3600) ?? settings.messageDeadline
        readForwarding(reader, into: &settings)
        return settings
    }
}

extension Duration {
    /// Whole milliseconds, for messages and for the documentation of defaults.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
