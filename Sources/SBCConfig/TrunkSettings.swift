import SIPCore
import Yams

/// How the B-leg's Call-ID is chosen (key `trunks[].call_id`), applied when calls are sent to the
/// trunk.
public enum CallIDPolicy: String, Sendable, Equatable, CaseIterable {
    /// The B-leg keeps the A-leg's Call-ID (the default). Why: the platform and the carrier can
    /// then correlate a call in their own logs and CDRs by one identifier, which support teams
    /// rely on.
    case preserve
    /// A fresh Call-ID on the B-leg. Why: full topology hiding; some carriers' Call-IDs embed
    /// internal host names that must not reach the other side.
    case new
}

/// A SIP peer the SBC exchanges calls with: a carrier or the platform (YAML list `trunks`).
///
/// Why trunks are addresses and not host names: the SBC recognizes which trunk a request comes
/// from by its source address, which must be known without DNS, and only the configured trunks
/// may send requests at all (see ``SecuritySettings``).
public struct TrunkSettings: Sendable, Equatable {
    /// Unique trunk name (key `name`, required), referenced by trunk groups and routes, and used as
    /// the trunk's label in logs, metrics and CDRs.
    public var name: String

    /// Name of the zone the trunk is reached through (key `zone`, required, must exist): the SBC
    /// sends to the trunk from that zone's socket and advertises that zone's address.
    public var zone: String

    /// The peer's IP address (key `address`, required, IPv4 or IPv6 literal, not a wildcard).
    /// Requests from this address are attributed to this trunk; requests are sent to it.
    public var address: String

    /// The peer's SIP port (key `port`, default 5060, range 1-65535).
    public var port: UInt16

    /// Transport to the peer (key `transport`, default `udp`); the trunk's zone must listen on it.
    public var transport: TransportProtocol

    /// Call-ID handling on calls sent to this trunk (key `call_id`, default `preserve`).
    public var callIDPolicy: CallIDPolicy

    /// Name of the header profile applied to requests sent to this trunk (key `profile`, optional,
    /// must name an entry of `profiles`). Why per trunk: each carrier wants its own identity headers
    /// and number format, and a call that fails over must be re-written for the carrier it now goes
    /// to. A route's `profile` overrides it for calls on that route.
    public var profile: String?

    /// Name of the header profile applied to requests received from this trunk (key
    /// `inbound_profile`, optional, must exist), before routing: to normalise a carrier's numbers to
    /// E.164 or strip its private headers before they reach the platform.
    public var inboundProfile: String?

    /// Most simultaneous calls sent to this trunk (key `max_calls`, default 0 = unlimited, range
    /// 0-1000000). A trunk at its limit is skipped like an unavailable one, so the group fails over
    /// instead of the carrier refusing calls beyond its contracted channels.
    public var maxCalls: Int

    /// How long an INVITE to this trunk may wait for its first provisional response (key
    /// `first_provisional_timeout_ms`, default 2000 ms, range 100-60000). Without one in this time
    /// the attempt is abandoned and, if the group fails over on `timeout`, the next member is tried:
    /// a live carrier answers 100 Trying within milliseconds, so waiting for Timer B (32 s) would
    /// leave the caller in silence.
    public var firstProvisionalTimeout: Duration

    /// How long a call may ring once the trunk has sent a provisional response (key
    /// `answer_timeout_s`, default 120 s, range 15-3600); then the SBC cancels the attempt. It is not a
    /// failover trigger, because the callee's phone has already rung. Never below 15 s (the field
    /// guides' rule): a shorter limit cuts off calls that are still being set up, which on a
    /// secondary carrier during failover is exactly when setup is slowest.
    public var answerTimeout: Duration

    /// Failures within ``passiveFailureWindow`` after which the trunk is marked down without waiting
    /// for its probes (key `passive_failures`, default 5, range 0-1000, 0 = passive health off).
    /// Failures are the group's failover triggers seen on real calls. Why not 1: one lost packet
    /// must not move all traffic (the guides' "flapping"); why not huge: every failure costs a
    /// caller post-dial delay. Off is for labs and benchmarks that must see every attempt.
    public var passiveFailureThreshold: Int

    /// The sliding window for ``passiveFailureThreshold`` (key `passive_window_s`, default 60 s,
    /// range 1-3600).
    public var passiveFailureWindow: Duration

    /// Codecs this trunk may use, in preference order (key `codecs`, a list of SDP codec names such
    /// as `PCMA`, `PCMU`, `G722`, `opus`, `telephone-event`; default none = no policy). Offers to
    /// and from the trunk keep only these, reordered; telephone-event (RFC 4733 DTMF) is always
    /// kept. An offer with no allowed voice codec is refused with 488. Why: carriers bill and
    /// transcode by codec, and a contact center must not offer a codec the carrier then rejects
    /// mid-call.
    public var codecs: [String] = []

    /// OPTIONS probing and the health hysteresis of this trunk (key `health`, a mapping, optional;
    /// every key has a default, so a trunk without it is probed every 15 s). See
    /// ``TrunkHealthSettings`` and docs/HEALTH.md. Why per trunk: carriers differ in how they answer
    /// OPTIONS and how fast they recover, and the platform trunk is usually not probed at all.
    public var health: TrunkHealthSettings

    /// SRTP on this trunk's media legs (key `srtp`, a mapping, optional; default plain RTP only).
    /// See ``MediaSecuritySettings``.
    public var srtp = MediaSecuritySettings()

    /// Whether identity attributes of the other side's SDP (`a=ssrc` with its `cname`, which
    /// names the other party's user and host, `a=ssrc-group`, `a=msid`, `a=msid-semantic`)
    /// reach this trunk (key `sdp_identity`, `strip` (default) or `keep`). Topology hiding that
    /// rewrote every address would still leak `cname:sip:agent@10.1.2.3` otherwise.
    public var sdpIdentity: SDPIdentityPolicy = .strip

    /// TLS towards and from this trunk: certificate checks, client certificate, versions (key
    /// `tls`, a mapping, optional; default: chain to the system CAs and name = `address`). See
    /// ``TrunkTLSSettings`` and docs/TLS.md.
    public var tls = TrunkTLSSettings()

    /// Digest credentials answering this trunk's 401/407 challenges (key `auth`, a mapping,
    /// optional; default none: challenges fail the attempt). See ``TrunkAuthSettings`` and
    /// docs/AUTH.md.
    public var auth: TrunkAuthSettings?

    /// A REGISTER binding kept alive at the trunk's registrar (key `register`, a mapping or
    /// `true`, optional; default none). See ``TrunkRegistrationSettings`` and docs/AUTH.md.
    public var register: TrunkRegistrationSettings?

    /// Reliable provisional responses on this trunk's legs (key `100rel`, `off`, `supported`
    /// (default) or `required`). See ``ReliableProvisionalPolicy`` and docs/SIP.md.
    public var reliableProvisionals: ReliableProvisionalPolicy = .supported

    /// What the caller hears of this trunk's early media (key `early_media`, `relay` (default),
    /// `ringback` or `none`). See ``EarlyMediaPolicy``.
    public var earlyMedia: EarlyMediaPolicy = .relay

    /// RFC 4028 session timers on this trunk's legs (key `session_timer`, a mapping, optional;
    /// default off). See ``SessionTimerSettings``.
    public var sessionTimer = SessionTimerSettings()

    /// How DTMF reaches this trunk (keys `dtmf` and `dtmf_info_type`; default `passthrough`,
    /// INFO bodies `dtmf-relay`). See ``TrunkDTMFSettings`` and docs/MEDIA.md, "DTMF".
    public var dtmf = TrunkDTMFSettings()

    /// What the SBC does with a REFER (blind transfer) this trunk sends in a call (key `refer`,
    /// `relay` (default: the REFER goes to the other leg, as before the key existed), `terminate`
    /// (the SBC transfers the call itself) or `reject` (603)). See ``ReferPolicy`` and
    /// docs/SIP.md, "Transfers (REFER)".
    public var refer: ReferPolicy = .relay

    /// DID validation test calls through this trunk (key `validation`, optional; see
    /// ``TrunkValidationSettings`` and docs/VALIDATION.md). Nil: the trunk cannot be validated.
    public var validation: TrunkValidationSettings?

    /// How the media relay learns where this trunk's media really comes from (key `latching`,
    /// `signalled` or `any`; default nil: the global `media.latching`). `any` is for a party
    /// behind NAT whose packets come from another address than its SDP names (a platform or
    /// softphone behind a NAT that rewrites addresses); carriers stay `signalled`, so injected
    /// RTP from strangers never reaches the call. docs/MEDIA.md, "Latching and strict source".
    public var latching: MediaSettings.LatchPolicy?

    public static let defaultPort: UInt16 = 5060
    public static let defaultMaxCalls = 0
    public static let defaultFirstProvisionalTimeout: Duration = .milliseconds(2000)
    public static let defaultAnswerTimeout: Duration = .seconds(120)
    public static let defaultPassiveFailureThreshold = 5
    public static let defaultPassiveFailureWindow: Duration = .seconds(60)

    /// Creates a trunk; everything but name, zone and address defaults to the documented defaults.
    public init(name: String, zone: String, address: String, port: UInt16 = TrunkSettings.defaultPort,
                transport: TransportProtocol = .udp, callIDPolicy: CallIDPolicy = .preserve,
                profile: String? = nil, inboundProfile: String? = nil,
                maxCalls: Int = TrunkSettings.defaultMaxCalls,
                firstProvisionalTimeout: Duration = TrunkSettings.defaultFirstProvisionalTimeout,
                answerTimeout: Duration = TrunkSettings.defaultAnswerTimeout,
                passiveFailureThreshold: Int = TrunkSettings.defaultPassiveFailureThreshold,
                passiveFailureWindow: Duration = TrunkSettings.defaultPassiveFailureWindow,
                health: TrunkHealthSettings = TrunkHealthSettings()) {
        self.name = name
        self.zone = zone
        self.address = address
        self.port = port
        self.transport = transport
        self.callIDPolicy = callIDPolicy
        self.profile = profile
        self.inboundProfile = inboundProfile
        self.maxCalls = maxCalls
        self.firstProvisionalTimeout = firstProvisionalTimeout
        self.answerTimeout = answerTimeout
        self.passiveFailureThreshold = passiveFailureThreshold
        self.passiveFailureWindow = passiveFailureWindow
        self.health = health
    }

    /// Whether ``maxCalls`` limits this trunk.
    public var hasCallLimit: Bool { maxCalls > 0 }
}

extension TrunkSettings {
    /// The keys of one `trunks` entry.
    static let keys = ["name", "zone", "address", "port", "transport", "call_id", "profile", "inbound_profile",
                       "max_calls", "first_provisional_timeout_ms", "answer_timeout_s", "passive_failures",
                       "passive_window_s", "health", "codecs", "srtp", "sdp_identity", "tls", "auth", "register",
                       "100rel", "early_media", "session_timer", "dtmf", "dtmf_info_type", "refer", "latching",
                       "validation"]

    static let maxCallsRange = 0...1_000_000
    static let firstProvisionalTimeoutRange = 100...60_000
    static let answerTimeoutRange = 15...3600
    static let passiveFailuresRange = 0...1000
    static let passiveWindowRange = 1...3600

    /// Reads one entry of `trunks`. Always returns a value (with empty strings for what could not
    /// be read) so that list indexes in later problems keep matching the file. Whether `zone`
    /// exists is checked later by ``ConfigValidator``, once all zones are known.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> TrunkSettings {
        var trunk = TrunkSettings(name: "", zone: "", address: "")
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a trunk needs name, zone and address")
            }
            return trunk
        }
        trunk.name = reader.name("trunk")
        if reader.require("zone", "the name of the zone this trunk is reached through") {
            trunk.zone = reader.string("zone") ?? ""
        }
        if reader.require("address", "the peer's IP address") {
            trunk.address = reader.ipAddress("address", allowWildcard: false)?.text ?? ""
        }
        trunk.port = reader.port("port") ?? trunk.port
        trunk.transport = reader.choice("transport") ?? trunk.transport
        trunk.callIDPolicy = reader.choice("call_id") ?? trunk.callIDPolicy
        trunk.profile = reader.stringOrPlaceholder("profile")
        trunk.inboundProfile = reader.stringOrPlaceholder("inbound_profile")
        trunk.maxCalls = reader.integer("max_calls", in: maxCallsRange) ?? trunk.maxCalls
        trunk.firstProvisionalTimeout = reader.milliseconds("first_provisional_timeout_ms",
                                                            in: firstProvisionalTimeoutRange)
            ?? trunk.firstProvisionalTimeout
        if case let .scalar(scalar)? = reader.value("answer_timeout_s"),
           let seconds = MappingReader.parseInteger(scalar.string), (0..<answerTimeoutRange.lowerBound).contains(seconds) {
            problems.report(reader.path("answer_timeout_s"),
                            "must be at least 15 seconds, got \(seconds): a shorter answer timeout cuts off calls "
                                + "that are still being set up, and a secondary carrier during failover needs that time")
        } else {
            trunk.answerTimeout = reader.seconds("answer_timeout_s", in: answerTimeoutRange) ?? trunk.answerTimeout
        }
        trunk.passiveFailureThreshold = reader.integer("passive_failures", in: passiveFailuresRange)
            ?? trunk.passiveFailureThreshold
        trunk.passiveFailureWindow = reader.seconds("passive_window_s", in: passiveWindowRange)
            ?? trunk.passiveFailureWindow
        trunk.health = TrunkHealthSettings.read(reader) ?? trunk.health
        trunk.srtp = MediaSecuritySettings.read(reader) ?? trunk.srtp
        trunk.sdpIdentity = reader.choice("sdp_identity") ?? trunk.sdpIdentity
        trunk.tls = TrunkTLSSettings.read(reader) ?? trunk.tls
        trunk.auth = TrunkAuthSettings.read(reader)
        trunk.register = TrunkRegistrationSettings.read(reader, auth: trunk.auth)
        trunk.reliableProvisionals = reader.choice("100rel") ?? trunk.reliableProvisionals
        trunk.earlyMedia = reader.choice("early_media") ?? trunk.earlyMedia
        trunk.sessionTimer = SessionTimerSettings.read(reader) ?? trunk.sessionTimer
        trunk.dtmf = TrunkDTMFSettings.read(reader)
        trunk.refer = reader.choice("refer") ?? trunk.refer
        trunk.validation = TrunkValidationSettings.read(reader)
        trunk.latching = reader.choice("latching")
        trunk.codecs = reader.stringList("codecs") ?? []
        for (index, codec) in trunk.codecs.enumerated() where !Self.isCodecName(codec) {
            problems.report(ProblemCollector.element(of: reader.path("codecs"), index),
                            "must be an SDP codec name (letters, digits, '-', '.', '_'), got \"\(codec)\"")
        }
        return trunk
    }

    /// An rtpmap encoding name (RFC 4566 `<encoding name>`): a token, compared case-insensitively.
    static func isCodecName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 32
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-._".utf8.contains(byte)
            }
    }
}
