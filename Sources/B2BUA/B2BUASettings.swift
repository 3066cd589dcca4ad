import SBCConfig
import SIPCore
import SIPProfiles
import SIPTransaction

/// The parts of the configuration the B2BUA core reads, resolved once.
public struct B2BUASettings: Sendable {
    var zones: [String: ZoneIdentity]
    var maxForwards: Int
    var unknownMethods: UnknownMethodPolicy
    var unknownSource: UnknownSourcePolicy
    var drain: Duration
    var timers: TransactionTimers
    /// `Server`/`User-Agent` value (`security.server_header`); nil sends neither header.
    var productName: String?
    /// Header rewrite profiles by name, compiled once.
    var profiles: [String: HeaderRewriteProfile]
    /// Media anchoring; nil when `media.enabled` is false.
    var media: MediaAnchorSettings?
    /// Header limits checked at the edge and on every copied field (`sip.max_header_length`, `sip.max_headers`).
    var headerLimits: SIPHeaderLimits
    /// Largest B-leg INVITE sent over UDP (`sip.max_udp_message_bytes`).
    var maxUDPMessageBytes: Int

    /// `mediaWorkers` is the number of relay threads the driver started: sessions are spread
    /// over them, each on its own slice of the port range.
    /// `productName` overrides `security.server_header` (benches and tests name themselves).
    public init(configuration: SBCConfiguration, productName: String? = nil, mediaWorkers: Int = 1) {
        zones = Dictionary(configuration.zones.map { ($0.name, ZoneIdentity($0)) }, uniquingKeysWith: { a, _ in a })
        maxForwards = configuration.sip.maxForwards
        unknownMethods = configuration.sip.unknownMethods
        unknownSource = configuration.security.unknownSource
        drain = configuration.shutdown.drain
        timers = TransactionTimers(t1: configuration.sip.t1, t2: configuration.sip.t2, t4: configuration.sip.t4)
        self.productName = productName ?? configuration.security.serverHeader
        profiles = Dictionary(configuration.profiles.map { ($0.name, HeaderRewriteProfile($0)) },
                              uniquingKeysWith: { first, _ in first })
        media = MediaAnchorSettings(configuration, workers: mediaWorkers)
        headerLimits = configuration.sip.headerLimits
        maxUDPMessageBytes = configuration.sip.maxUDPMessageBytes
    }

    /// Names the SBC in `message` (`Server` or `User-Agent`) unless it is configured to stay silent.
    func identify(_ message: inout SIPMessage, as header: SIPHeaderName) {
        if let productName { message.add(header, productName) }
    }

    /// The profile for requests sent to `trunk`: the route's override, else the trunk's own.
    func outboundProfile(for trunk: TrunkSettings, routeOverride: String?) -> HeaderRewriteProfile? {
        (routeOverride ?? trunk.profile).flatMap { profiles[$0] }
    }
}
