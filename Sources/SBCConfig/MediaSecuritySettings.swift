import SDP
import Yams

/// What one trunk's media legs must be secured with (key `trunks[].srtp`, a mapping, optional;
/// default: plain RTP only).
///
/// Why per trunk: the SBC terminates SRTP on each leg with keys of its own, so the platform's
/// trunk can be SRTP while a carrier that only takes plain RTP gets RTP/AVP, and a key never
/// crosses from one side to the other. `SRTPPolicy` (SDP module) has the RFC 4568 table of what
/// each offer leads to under each policy.
public struct MediaSecuritySettings: Sendable, Equatable {
    /// What to do with DTLS-SRTP (`UDP/TLS/RTP/SAVP`) offers, which SDES termination cannot key.
    public enum DTLSPolicy: String, Sendable, Equatable, CaseIterable {
        /// Refused with 488 and a reason (the default): the SBC could not see or check the media.
        case refuse
        /// Passed through end to end (both trunks of the call must say so): fingerprints and
        /// DTLS packets cross the relay untouched, so the SBC relays ciphertext it cannot check.
        case relay
    }

    /// `none` (default), `optional` or `required` (key `policy`).
    public var policy: SRTPPolicy
    /// Acceptable crypto suites, most preferred first (key `suites`, default
    /// `[AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32]`): an answer takes
    /// the first of these the offer has, an offer lists them in this order. GCM first because
    /// it is the stronger construction (AEAD, RFC 7714, a 128-bit tag against HMAC-SHA1's 80 or
    /// 32 bits); both cost the SBC's own SRTP under a microsecond per packet.
    public var suites: [SRTPCryptoSuite]
    /// Whether the peer may ask for unencrypted SRTCP (key `unencrypted_srtcp`, default false).
    public var unencryptedSRTCP: Bool
    /// DTLS-SRTP offers (key `dtls`, default `refuse`).
    public var dtls: DTLSPolicy

    public static let defaultSuites: [SRTPCryptoSuite] = [.aeadAES128GCM, .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32]

    public init(policy: SRTPPolicy = .none, suites: [SRTPCryptoSuite] = defaultSuites, unencryptedSRTCP: Bool = false,
                dtls: DTLSPolicy = .refuse) {
        self.policy = policy
        self.suites = suites
        self.unencryptedSRTCP = unencryptedSRTCP
        self.dtls = dtls
    }

    /// The SDES offer/answer settings of this trunk's legs.
    public var sdes: SDESSettings {
        SDESSettings(policy: policy, suites: suites, allowsUnencryptedSRTCP: unencryptedSRTCP)
    }

    static let keys = ["policy", "suites", "unencrypted_srtcp", "dtls"]

    static func read(_ trunk: MappingReader) -> MediaSecuritySettings? {
        trunk.nested("srtp", keys: keys) { reader in
            var settings = MediaSecuritySettings()
            settings.policy = reader.choice("policy") ?? settings.policy
            if let items = reader.sequence("suites") {
                var suites: [SRTPCryptoSuite] = []
                for item in items {
                    guard let name = MappingReader.string(item.node, at: item.path, problems: reader.problems) else {
                        continue
                    }
                    guard let suite = SRTPCryptoSuite(name: name) else {
                        let known = SRTPCryptoSuite.allCases.map(\.name)
                        reader.problems.report(item.path, at: item.node.mark,
                                               "must be one of \(known.joined(separator: ", ")), got \"\(name)\""
                                                   + NameSuggester.hint(for: name, among: known))
                        continue
                    }
                    if suites.contains(suite) {
                        reader.problems.report(item.path, at: item.node.mark, "lists \(name) twice")
                    } else {
                        suites.append(suite)
                    }
                }
                if items.isEmpty {
                    reader.problems.report(reader.path("suites"), "must list at least one suite; "
                        + "for plain RTP only set policy: none")
                } else {
                    settings.suites = suites
                }
            }
            settings.unencryptedSRTCP = reader.boolean("unencrypted_srtcp") ?? settings.unencryptedSRTCP
            settings.dtls = reader.choice("dtls") ?? settings.dtls
            return settings
        }
    }
}

