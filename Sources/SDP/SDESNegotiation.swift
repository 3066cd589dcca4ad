/// One trunk's SDES settings and the RFC 4568 offer/answer steps for one media stream on that
/// trunk's leg. Sans-IO: keys come from an injected random source, results are values the
/// B2BUA writes into SDP (`apply(to:)`) and hands to the relay (``SDESStreamKeys``).
///
/// Why per leg and not end to end: the SBC terminates SRTP, so each leg has keys of its own
/// (the platform's key never reaches the carrier) and its own policy (``SRTPPolicy``, whose
/// documentation has the table of what each offer leads to).
public struct SDESSettings: Sendable, Hashable {
    public var policy: SRTPPolicy
    /// Acceptable suites, most preferred first. The answer takes the first suite of this list
    /// that the offer has an acceptable line for, whatever the offer's order: RFC 4568 §7.1.2
    /// leaves the choice to the answerer, and the trunk's order is the operator's (GCM first
    /// costs less CPU per packet). Must not be empty unless `policy` is `none`.
    public var suites: [SRTPCryptoSuite]
    /// Whether a peer may ask for `UNENCRYPTED_SRTCP`; the SBC never asks for it itself.
    public var allowsUnencryptedSRTCP: Bool

    public init(policy: SRTPPolicy, suites: [SRTPCryptoSuite] = [.aeadAES128GCM, .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32],
                allowsUnencryptedSRTCP: Bool = false)
    {
        self.policy = policy
        self.suites = suites
        self.allowsUnencryptedSRTCP = allowsUnencryptedSRTCP
    }

    // MARK: Answering an offer from the leg

    /// The answer to the offered stream `offer`, or why it must be refused (488).
    ///
    /// `previous` is the stream's keys from the last completed exchange: when the re-offer
    /// keeps the suite and key the SBC accepted then, the SBC keeps its own key too, so both
    /// directions keep their SRTP contexts and rollover counters (RFC 4568 §7.1.4 allows either
    /// way; keeping them avoids re-creating contexts on every hold/resume re-INVITE).
    public func answer(offer: MediaDescription, previous: SDESStreamKeys? = nil,
                       using random: inout some RandomNumberGenerator) throws(SDESRefusal) -> SDESAnswer
    {
        let plain = SDESAnswer(proto: offer.proto, crypto: nil, security: .plain)
        guard offer.port != 0 else { return plain }
        switch offer.securityProfile {
        case .notRTP:
            return plain
        case .dtls:
            throw .dtlsSRTP(proto: offer.proto)
        case .secure:
            guard policy != .none else { throw .srtpNotAllowed(proto: offer.proto) }
            guard offer.hasCryptoAttributes else { throw .secureProfileWithoutKeys(proto: offer.proto) }
            return try select(from: offer, previous: previous, using: &random).get()
        case .plain:
            guard offer.hasCryptoAttributes else {
                if policy == .required { throw .srtpRequired(proto: offer.proto) }
                return plain
            }
            switch policy {
            case .none: return plain
            case .optional: return (try? select(from: offer, previous: previous, using: &random).get()) ?? plain
            case .required: return try select(from: offer, previous: previous, using: &random).get()
            }
        }
    }

    /// The first acceptable offered line in the trunk's suite order, answered with a key of the
    /// SBC's own under the same tag.
    private func select(from offer: MediaDescription, previous: SDESStreamKeys?,
                        using random: inout some RandomNumberGenerator) -> Result<SDESAnswer, SDESRefusal>
    {
        var acceptable: [SDPCryptoAttribute] = []
        var problems: [SDPCryptoError] = []
        for parsed in offer.cryptoAttributes {
            do throws(SDPCryptoError) {
                let attribute = try parsed.get()
                guard suites.contains(attribute.suite) else {
                    throw SDPCryptoError(tag: attribute.tag, suiteName: attribute.suite.name,
                                         problem: .suiteNotAllowed(attribute.suite))
                }
                try attribute.checkTerminable(allowsUnencryptedSRTCP: allowsUnencryptedSRTCP)
                acceptable.append(attribute)
            } catch {
                problems.append(error)
            }
        }
        guard let chosen = suites.lazy.compactMap({ suite in acceptable.first { $0.suite == suite } }).first else {
            return .failure(.noAcceptableCrypto(problems))
        }
        let local: SDPCryptoKeyParameter
        if let previous, previous.suite == chosen.suite, previous.remote == chosen.key {
            local = previous.local
        } else {
            local = .random(for: chosen.suite, using: &random)
        }
        let unencryptedSRTCP = chosen.has(.unencryptedSRTCP)
        let answer = SDPCryptoAttribute(tag: chosen.tag, suite: chosen.suite, key: local,
                                        sessionParameters: unencryptedSRTCP ? [.unencryptedSRTCP] : [])
        let keys = SDESStreamKeys(suite: chosen.suite, remote: chosen.key, local: local,
                                  unencryptedSRTCP: unencryptedSRTCP, remoteWindowSizeHint: chosen.windowSizeHint)
        return .success(SDESAnswer(proto: offer.proto, crypto: answer, security: .srtp(keys)))
    }

    // MARK: Offering to the leg

    /// What the SBC offers this leg for a stream whose protocol would otherwise be `proto`
    /// (usually the other leg's): the profile per policy and one `a=crypto` per suite of the
    /// trunk's list, tags 1, 2, ..., each with a fresh key.
    ///
    /// `previous` (the stream's keys from the last completed exchange) makes a re-offer keep
    /// the SBC's key for that suite, so a re-INVITE that changes nothing else keeps the
    /// contexts and rollover counters.
    public func offer(proto: String, previous: SDESStreamKeys? = nil,
                      using random: inout some RandomNumberGenerator) -> SDESOffer
    {
        let profile = RTPSecurityProfile(proto: proto)
        guard policy != .none, profile == .plain || profile == .secure else {
            return SDESOffer(proto: profile == .secure ? RTPSecurityProfile.plain(proto) : proto, crypto: [])
        }
        let crypto = suites.enumerated().map { index, suite in
            let key = previous.flatMap { $0.suite == suite ? $0.local : nil } ?? .random(for: suite, using: &random)
            return SDPCryptoAttribute(tag: UInt32(index + 1), suite: suite, key: key)
        }
        let offered = policy == .required ? RTPSecurityProfile.secured(proto) : RTPSecurityProfile.plain(proto)
        return SDESOffer(proto: offered, crypto: crypto)
    }

    /// The stream's security once the leg answered `offer` with `answer`, or why the answer is
    /// not acceptable (the caller ends or re-negotiates the leg: it cannot be refused with 488).
    public func accept(answer: MediaDescription, to offer: SDESOffer) throws(SDESRefusal) -> SDESStreamSecurity {
        let answered = answer.cryptoAttributes
        guard !answered.isEmpty, answer.port != 0 else {
            if policy == .required, !offer.crypto.isEmpty, answer.port != 0 {
                throw .answerWithoutCrypto(proto: answer.proto)
            }
            return .plain
        }
        guard answered.count == 1 else { throw .answerHasSeveralCrypto(answered.count) }
        let attribute: SDPCryptoAttribute
        switch answered[0] {
        case .failure(let error): throw .answerCrypto(error)
        case .success(let parsed): attribute = parsed
        }
        guard let offered = offer.crypto.first(where: { $0.tag == attribute.tag }), offered.suite == attribute.suite else {
            throw .answerCryptoNotOffered(tag: attribute.tag, suite: attribute.suite)
        }
        do throws(SDPCryptoError) {
            // The SBC never offers UNENCRYPTED_SRTCP, so an answer may not add it (RFC 4568
            // §6.3: it must be in both or neither).
            try attribute.checkTerminable(allowsUnencryptedSRTCP: offered.has(.unencryptedSRTCP))
        } catch {
            throw .answerCrypto(error)
        }
        return .srtp(SDESStreamKeys(suite: attribute.suite, remote: attribute.key, local: offered.key,
                                    unencryptedSRTCP: offered.has(.unencryptedSRTCP),
                                    remoteWindowSizeHint: attribute.windowSizeHint))
    }
}

/// The keys of one stream on one leg once offer/answer completed: what the relay needs to build
/// that leg's two SRTP contexts.
public struct SDESStreamKeys: Sendable, Hashable, CustomStringConvertible {
    public var suite: SRTPCryptoSuite
    /// The peer's key: unprotects what the leg sends the SBC.
    public var remote: SDPCryptoKeyParameter
    /// The SBC's key for this leg: protects what the SBC sends the leg.
    public var local: SDPCryptoKeyParameter
    /// Both directions send SRTCP unencrypted (authenticated only).
    public var unencryptedSRTCP: Bool
    /// The replay window the peer suggested for its packets (`WSH`).
    public var remoteWindowSizeHint: Int?

    public init(suite: SRTPCryptoSuite, remote: SDPCryptoKeyParameter, local: SDPCryptoKeyParameter,
                unencryptedSRTCP: Bool = false, remoteWindowSizeHint: Int? = nil)
    {
        self.suite = suite
        self.remote = remote
        self.local = local
        self.unencryptedSRTCP = unencryptedSRTCP
        self.remoteWindowSizeHint = remoteWindowSizeHint
    }

    public var description: String {
        "\(suite) remote \(remote) local \(local)" + (unencryptedSRTCP ? " UNENCRYPTED_SRTCP" : "")
    }
}

/// Whether a stream is SRTP on a leg.
public enum SDESStreamSecurity: Sendable, Hashable {
    case plain
    case srtp(SDESStreamKeys)

    /// The keys when the stream is SRTP.
    public var keys: SDESStreamKeys? {
        if case .srtp(let keys) = self { return keys }
        return nil
    }
}

/// The SBC's answer for one stream.
public struct SDESAnswer: Sendable, Hashable {
    /// The profile to answer with: always the offered one (RFC 3264 §6).
    public var proto: String
    /// The SBC's `a=crypto`; nil when the stream is plain.
    public var crypto: SDPCryptoAttribute?
    public var security: SDESStreamSecurity

    public init(proto: String, crypto: SDPCryptoAttribute?, security: SDESStreamSecurity) {
        self.proto = proto
        self.crypto = crypto
        self.security = security
    }

    /// Writes the profile and the SBC's `a=crypto` (removing every other) into the answer's
    /// section, typically built from the other leg's SDP.
    public func apply(to media: inout MediaDescription) {
        media.proto = proto
        media.setCryptoAttributes(crypto.map { [$0] } ?? [])
    }
}

/// The SBC's offer for one stream.
public struct SDESOffer: Sendable, Hashable {
    public var proto: String
    /// The offered lines with the SBC's keys, tags 1, 2, ... in the trunk's order.
    public var crypto: [SDPCryptoAttribute]

    public init(proto: String, crypto: [SDPCryptoAttribute]) {
        self.proto = proto
        self.crypto = crypto
    }

    /// Writes the profile and the offered `a=crypto` lines (removing every other, the other
    /// leg's keys among them) into the offer's section.
    public func apply(to media: inout MediaDescription) {
        media.proto = proto
        media.setCryptoAttributes(crypto)
    }
}
