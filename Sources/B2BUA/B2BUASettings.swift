import SBCConfig
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
    var productName: String
    /// Header rewrite profiles by name, compiled once.
    var profiles: [String: HeaderRewriteProfile]
    /// Media anchoring; nil when `media.enabled` is false.
    var media: MediaAnchorSettings?

    /// `mediaWorkers` is the number of relay threads the driver started: sessions are spread
    /// over them, each on its own slice of the port range.
    public init(configuration: SBCConfiguration, productName: String, mediaWorkers: Int = 1) {
        zones = Dictionary(configuration.zones.map { ($0.name, ZoneIdentity($0)) }, uniquingKeysWith: { a, _ in a })
        maxForwards = configuration.sip.maxForwards
        unknownMethods = configuration.sip.unknownMethods
        unknownSource = configuration.security.unknownSource
        drain = configuration.shutdown.drain
        timers = TransactionTimers(t1: configuration.sip.t1, t2: configuration.sip.t2, t4: configuration.sip.t4)
        self.productName = productName
        profiles = Dictionary(configuration.profiles.map { ($0.name, HeaderRewriteProfile($0)) },
                              uniquingKeysWith: { first, _ in first })
        media = MediaAnchorSettings(configuration, workers: mediaWorkers)
    }

    /// The profile for requests sent to `trunk`: the route's override, else the trunk's own.
    func outboundProfile(for trunk: TrunkSettings, routeOverride: String?) -> HeaderRewriteProfile? {
        (routeOverride ?? trunk.profile).flatMap { profiles[$0] }
    }
}
