import Yams

/// What re-originates the carrier leg of an established call on a critical line, and how often
/// (key `trunk_groups[].mid_call_failover`, a mapping, optional; every key has a default).
///
/// It applies only to calls on routes with `critical: true` that go to this group: for them the
/// B2BUA keeps the caller's INVITE and the group's remaining members after the answer, and when
/// the active carrier leg dies it calls the next selectable member with the platform's last
/// negotiated SDP while the platform's dialog and media ports stay as they were (docs/FAILOVER.md,
/// "Mid-call failover"). Why on the group: the triggers describe when to give up on one member
/// for another, which only means something where there is another.
public struct MidCallFailoverSettings: Sendable, Equatable {
    /// The carrier answers a relayed re-INVITE or UPDATE with one of the group's `failover_on`
    /// codes or 481, or not within `reinvite_timeout_ms` (key `on_reinvite_failure`, default
    /// true). The platform's request is held and answered by the new carrier leg.
    public var onReinviteFailure: Bool

    /// How long a re-INVITE or UPDATE relayed to the carrier may wait for its final response
    /// before it counts as failed (key `reinvite_timeout_ms`, default 8000, range 500-60000).
    /// Why not Timer B's 32 s: the platform's own re-INVITE would have timed out long before.
    public var reinviteTimeout: Duration

    /// No RTP from the carrier leg for `media.timeout_s` (key `on_media_timeout`, default true).
    /// Silence from the platform still ends the call, as on any route.
    public var onMediaTimeout: Bool

    /// The carrier leg's signalling transport failed: its TCP connection dropped and an
    /// in-dialog OPTIONS cannot re-establish it, or ICMP errors came back for its SIP (key
    /// `on_transport_loss`, default true).
    public var onTransportLoss: Bool

    /// ICMP unreachable errors for packets the relay sent to the carrier leg's media that fail
    /// the leg over (key `icmp_errors`, default 3, range 0-1000; 0 ignores ICMP, 1 acts on the
    /// first). Why 3: one stray error (a carrier re-binding its port) should not move a call, and
    /// at 50 packets/s three cost 60 ms, far below the media timeout.
    public var icmpErrors: Int

    /// In-dialog OPTIONS towards the carrier leg every this many seconds (key
    /// `keepalive_interval_s`, default 0 = off, range 0-3600). For carriers that keep dead
    /// dialogs silent: the answer 481, or no answer `keepalive_failures` times, fails the leg over.
    public var keepaliveInterval: Duration?

    /// Unanswered keepalives in a row that fail the leg over (key `keepalive_failures`, default 2,
    /// range 1-10). A 481 fails it over at once.
    public var keepaliveFailures: Int

    /// Mid-call failovers one call may make (key `max_mid_call_failovers`, default 2, range
    /// 1-10); past it the platform gets a BYE with the cause.
    public var maxFailovers: Int

    /// New INVITEs per second this group's mid-call failovers may send (key `max_rate`, default
    /// 0 = unlimited, range 0-10000). Why: a carrier that dies under 1,000 calls would otherwise
    /// send the secondary 1,000 INVITEs in the same millisecond; the rest wait in order.
    public var maxRate: Int

    public static let defaultReinviteTimeout: Duration = .seconds(8)

    public init(onReinviteFailure: Bool = true, reinviteTimeout: Duration = defaultReinviteTimeout,
                onMediaTimeout: Bool = true, onTransportLoss: Bool = true, icmpErrors: Int = 3,
                keepaliveInterval: Duration? = nil, keepaliveFailures: Int = 2, maxFailovers: Int = 2,
                maxRate: Int = 0) {
        self.onReinviteFailure = onReinviteFailure
        self.reinviteTimeout = reinviteTimeout
        self.onMediaTimeout = onMediaTimeout
        self.onTransportLoss = onTransportLoss
        self.icmpErrors = icmpErrors
        self.keepaliveInterval = keepaliveInterval
        self.keepaliveFailures = keepaliveFailures
        self.maxFailovers = maxFailovers
        self.maxRate = maxRate
    }

    static let keys = ["on_reinvite_failure", "reinvite_timeout_ms", "on_media_timeout", "on_transport_loss",
                       "icmp_errors", "keepalive_interval_s", "keepalive_failures", "max_mid_call_failovers",
                       "max_rate"]

    static func read(_ group: MappingReader) -> MidCallFailoverSettings? {
        group.nested("mid_call_failover", keys: keys) { reader in
            var settings = MidCallFailoverSettings()
            settings.onReinviteFailure = reader.boolean("on_reinvite_failure") ?? settings.onReinviteFailure
            settings.reinviteTimeout = reader.milliseconds("reinvite_timeout_ms", in: 500...60000)
                ?? settings.reinviteTimeout
            settings.onMediaTimeout = reader.boolean("on_media_timeout") ?? settings.onMediaTimeout
            settings.onTransportLoss = reader.boolean("on_transport_loss") ?? settings.onTransportLoss
            settings.icmpErrors = reader.integer("icmp_errors", in: 0...1000) ?? settings.icmpErrors
            if let interval = reader.seconds("keepalive_interval_s", in: 0...3600) {
                settings.keepaliveInterval = interval == .zero ? nil : interval
            }
            settings.keepaliveFailures = reader.integer("keepalive_failures", in: 1...10) ?? settings.keepaliveFailures
            settings.maxFailovers = reader.integer("max_mid_call_failovers", in: 1...10) ?? settings.maxFailovers
            settings.maxRate = reader.integer("max_rate", in: 0...10000) ?? settings.maxRate
            return settings
        }
    }
}
