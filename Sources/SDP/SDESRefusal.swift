/// Why a stream's SDES negotiation failed on a leg. For an offer the leg sent, the B2BUA answers
/// 488 Not Acceptable Here with ``description`` as the reason; for an answer to the SBC's offer,
/// it ends or re-negotiates that leg. No case quotes a key (see ``SDPCryptoError``).
public enum SDESRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    // MARK: Offers from the leg

    /// Policy `required` and a plain offer without `a=crypto`.
    case srtpRequired(proto: String)
    /// Policy `none` and an RTP/SAVP offer, which cannot be answered with plain RTP.
    case srtpNotAllowed(proto: String)
    /// RTP/SAVP without `a=crypto`: keyed some other way (MIKEY, ZRTP) the SBC does not do.
    case secureProfileWithoutKeys(proto: String)
    /// DTLS-SRTP, which the SBC does not terminate (relaying it opaquely is the caller's call).
    case dtlsSRTP(proto: String)
    /// Every offered `a=crypto` was malformed, unsupported or not in the trunk's list; one
    /// error per line, in the offer's order.
    case noAcceptableCrypto([SDPCryptoError])

    // MARK: Answers to the SBC's offers

    /// Policy `required` and an answer without `a=crypto`.
    case answerWithoutCrypto(proto: String)
    /// An answer must accept exactly one offered line (RFC 4568 §7.1.2).
    case answerHasSeveralCrypto(Int)
    /// The answer's line is malformed or asks for something the SBC does not do.
    case answerCrypto(SDPCryptoError)
    /// The answer's tag names no offered line, or that line had another suite.
    case answerCryptoNotOffered(tag: UInt32, suite: SRTPCryptoSuite)

    public var description: String {
        switch self {
        case .srtpRequired(let proto):
            "SRTP required: the offer (\(proto)) has no a=crypto"
        case .srtpNotAllowed(let proto):
            "SRTP not allowed on this trunk: the offer uses \(proto)"
        case .secureProfileWithoutKeys(let proto):
            "\(proto) offer without a=crypto: only SDES keying is supported"
        case .dtlsSRTP(let proto):
            "DTLS-SRTP (\(proto)) is not terminated by the SBC"
        case .noAcceptableCrypto(let problems) where problems.isEmpty:
            "no acceptable a=crypto"
        case .noAcceptableCrypto(let problems):
            "no acceptable a=crypto: " + problems.map(\.description).joined(separator: "; ")
        case .answerWithoutCrypto(let proto):
            "SRTP required: the answer (\(proto)) has no a=crypto"
        case .answerHasSeveralCrypto(let count):
            "the answer has \(count) a=crypto lines, expected one"
        case .answerCrypto(let error):
            "the answer's \(error)"
        case .answerCryptoNotOffered(let tag, let suite):
            "the answer's a=crypto:\(tag) \(suite) matches no offered line"
        }
    }
}
