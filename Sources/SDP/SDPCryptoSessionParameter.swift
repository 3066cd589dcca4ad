/// A session parameter of an `a=crypto` (RFC 4568 §6.3): what follows the key parameters and
/// applies to the whole SRTP session the attribute describes.
///
/// The parser reads every parameter RFC 4568 defines, and keeps unknown ones as
/// ``extension(_:)``, so that an attribute can be written back as it came. Which of them the SBC
/// can honour is decided by ``SDPCryptoAttribute/checkTerminable(allowsUnencryptedSRTCP:)``.
public enum SDPCryptoSessionParameter: Sendable, Hashable, CustomStringConvertible {
    /// `KDR=n`: derive new session keys every 2^n packets (0 in RFC 3711's sense: never).
    case keyDerivationRate(Int)
    /// `UNENCRYPTED_SRTP`: payloads in the clear, authenticated only.
    case unencryptedSRTP
    /// `UNENCRYPTED_SRTCP`: RTCP in the clear, authenticated only (RFC 3711 §3.4, E bit 0).
    case unencryptedSRTCP
    /// `UNAUTHENTICATED_SRTP`: no authentication tag on SRTP.
    case unauthenticatedSRTP
    /// `FEC_ORDER=`: whether forward error correction is applied before or after SRTP.
    case fecOrder(SDPCryptoFECOrder)
    /// `FEC_KEY=`: separate master keys for the FEC stream.
    case fecKey([SDPCryptoKeyParameter])
    /// `WSH=n`: the replay window the sender suggests to its receiver (at least 64).
    case windowSizeHint(Int)
    /// Any other parameter, as written (with its leading `-` if it has one).
    case `extension`(String)

    /// The parameter as written in the attribute.
    public var text: String {
        switch self {
        case .keyDerivationRate(let exponent): "KDR=\(exponent)"
        case .unencryptedSRTP: "UNENCRYPTED_SRTP"
        case .unencryptedSRTCP: "UNENCRYPTED_SRTCP"
        case .unauthenticatedSRTP: "UNAUTHENTICATED_SRTP"
        case .fecOrder(let order): "FEC_ORDER=\(order.rawValue)"
        case .fecKey(let keys): "FEC_KEY=" + keys.map { "inline:" + $0.value }.joined(separator: ";")
        case .windowSizeHint(let size): "WSH=\(size)"
        case .extension(let text): text
        }
    }

    /// ``text`` without key material.
    public var description: String {
        if case .fecKey(let keys) = self {
            return "FEC_KEY=" + keys.map(\.description).joined(separator: ";")
        }
        return text
    }

    /// The name before `=` (the whole parameter for flags): what errors quote, since the value
    /// of `FEC_KEY` is a secret.
    var name: Substring {
        let text = text
        return text[..<(text.firstIndex(of: "=") ?? text.endIndex)]
    }

    init(text: Substring, suite: SRTPCryptoSuite) throws(SDPCryptoProblem) {
        let equals = text.firstIndex(of: "=")
        let name = text[..<(equals ?? text.endIndex)]
        let argument = equals.map { text[text.index(after: $0)...] }
        func named(_ expected: String) -> Bool { SDPGrammar.equalsIgnoringASCIICase(name.utf8, expected.utf8) }
        func flag(_ parameter: Self) throws(SDPCryptoProblem) -> Self {
            guard argument == nil else { throw .invalidSessionParameter(String(name), "takes no value") }
            return parameter
        }
        if named("UNENCRYPTED_SRTP") {
            self = try flag(.unencryptedSRTP)
        } else if named("UNENCRYPTED_SRTCP") {
            self = try flag(.unencryptedSRTCP)
        } else if named("UNAUTHENTICATED_SRTP") {
            self = try flag(.unauthenticatedSRTP)
        } else if named("KDR") {
            guard let argument, argument.utf8.count <= 2, let exponent = SDPGrammar.decimal(argument.utf8, max: 24) else {
                throw .invalidSessionParameter("KDR", "expected KDR=n with n from 0 to 24")
            }
            self = .keyDerivationRate(Int(exponent))
        } else if named("WSH") {
            guard let argument, let size = SDPGrammar.decimal(argument.utf8, max: UInt64(Int32.max)), size >= 64 else {
                throw .invalidSessionParameter("WSH", "expected WSH=n with n of at least 64")
            }
            self = .windowSizeHint(Int(size))
        } else if named("FEC_ORDER") {
            guard let argument, let order = SDPCryptoFECOrder.allCases.first(where: {
                SDPGrammar.equalsIgnoringASCIICase(argument.utf8, $0.rawValue.utf8)
            }) else {
                throw .invalidSessionParameter("FEC_ORDER", "expected FEC_SRTP or SRTP_FEC")
            }
            self = .fecOrder(order)
        } else if named("FEC_KEY") {
            guard let argument, !argument.isEmpty else {
                throw .invalidSessionParameter("FEC_KEY", "expected key parameters")
            }
            self = .fecKey(try SDPCryptoKeyParameter.list(argument, suite: suite))
        } else {
            self = .extension(String(text))
        }
    }
}

/// The order of FEC and SRTP (RFC 4568 §6.3).
public enum SDPCryptoFECOrder: String, Sendable, Hashable, CaseIterable {
    /// FEC computed over SRTP packets (protect first).
    case fecSRTP = "FEC_SRTP"
    /// SRTP applied to FEC packets like any other: the default.
    case srtpFEC = "SRTP_FEC"
}

extension SDPCryptoKeyParameter {
    /// `key-params *(";" key-params)`: every key must use the `inline` method (the only one RFC
    /// 4568 defines for SRTP).
    static func list(_ text: Substring, suite: SRTPCryptoSuite) throws(SDPCryptoProblem) -> [SDPCryptoKeyParameter] {
        var keys: [SDPCryptoKeyParameter] = []
        for keyParameter in text.split(separator: ";", omittingEmptySubsequences: false) {
            guard let colon = keyParameter.firstIndex(of: ":") else {
                throw .malformedKeyParameter("expected inline:<key>")
            }
            let method = keyParameter[..<colon]
            guard SDPGrammar.equalsIgnoringASCIICase(method.utf8, "inline".utf8) else {
                throw .unsupportedKeyMethod(String(method.prefix(24)))
            }
            keys.append(try SDPCryptoKeyParameter(inlineValue: keyParameter[keyParameter.index(after: colon)...], suite: suite))
        }
        return keys
    }
}
