import Media
import SBCConfig
import SDP

/// The parts of the `media` configuration the B2BUA reads, resolved once.
struct MediaAnchorSettings: Sendable {
    var portRange: ClosedRange<Int>
    var workers: Int
    var reuseDelay: Duration
    var timeouts: MediaTimeouts
    /// Codec policy of every trunk that has one, by trunk name.
    var codecPolicies: [String: CodecPolicy]
    /// Every trunk's media security, by trunk name.
    var security: [String: TrunkMediaSecurity]

    /// Nil when media anchoring is off (SDP then passes through untouched).
    init?(_ configuration: SBCConfiguration, workers: Int) {
        let media = configuration.media
        guard media.enabled else { return nil }
        portRange = media.portMin...media.portMax
        self.workers = max(1, workers)
        reuseDelay = media.portReuseDelay
        timeouts = MediaTimeouts(active: media.timeout, hold: media.holdTimeout)
        codecPolicies = Dictionary(configuration.trunks.filter { !$0.codecs.isEmpty }
            .map { ($0.name, CodecPolicy(allowed: $0.codecs)) }, uniquingKeysWith: { first, _ in first })
        security = Dictionary(configuration.trunks.map {
            ($0.name, TrunkMediaSecurity(sdes: $0.srtp.sdes, dtls: $0.srtp.dtls, identity: $0.sdpIdentity))
        }, uniquingKeysWith: { first, _ in first })
    }
}

/// One trunk's `srtp` and `sdp_identity`, as the anchoring applies them to its leg.
struct TrunkMediaSecurity: Sendable {
    var sdes: SDESSettings
    var dtls: MediaSecuritySettings.DTLSPolicy
    var identity: SDPIdentityPolicy

    static let plain = TrunkMediaSecurity(sdes: SDESSettings(policy: .none), dtls: .refuse, identity: .strip)
}
