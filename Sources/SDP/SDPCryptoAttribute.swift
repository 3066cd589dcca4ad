/// `a=crypto:<tag> <suite> inline:<key||salt>[|lifetime][|MKI:length][;inline:...] [session
/// parameters]` (RFC 4568 §9.1): SDES keying for one SRTP stream, one offered alternative per
/// attribute. The key in an attribute is the key its *sender* protects with.
///
/// Parsing (``init(value:)``) checks RFC 4568's grammar and the key length of the suite, and
/// refuses suites the SBC does not implement (their key length is unknown, so the key cannot be
/// checked). Whether the SBC can terminate a well-formed attribute is a separate question,
/// ``checkTerminable(allowsUnencryptedSRTCP:)``, so that an offer's other attributes can still
/// be chosen (RFC 4568 §7.1.2: the answerer picks one it supports).
///
/// What the SBC supports when it terminates SRTP, and why:
///
/// | parameter | decision |
/// |---|---|
/// | lifetime (`2^n` or decimal, at most 2^48) | accepted; the receive context stops accepting packets once it is used up, the sender re-keys by offer/answer |
/// | MKI `value:length` on the single key | accepted; the relay checks it in every packet |
/// | several keys (`;inline:...`) | refused: switching keys by MKI mid-stream is not implemented |
/// | `KDR=0` | accepted (RFC 3711's "derive once") |
/// | `KDR=1`...`24` | refused: the relay derives session keys only once, when it builds a context |
/// | `UNENCRYPTED_SRTP`, `UNAUTHENTICATED_SRTP` | refused: the SBC relays and latches only encrypted, authenticated media |
/// | `UNENCRYPTED_SRTCP` | accepted only where the trunk allows it, and echoed in the answer |
/// | `FEC_ORDER=SRTP_FEC` | accepted (the default order: FEC packets are protected like any other) |
/// | `FEC_ORDER=FEC_SRTP`, `FEC_KEY=` | refused: the relay protects packet by packet and keeps no FEC key |
/// | `WSH=n` | accepted: the receive replay window, rounded up to a power of two and capped at 32768 |
/// | anything else | refused: the SBC cannot honour a parameter it does not know |
public struct SDPCryptoAttribute: Sendable, Hashable, CustomStringConvertible {
    /// 1 to 999999999; the answer carries the tag of the offered attribute it accepts.
    public var tag: UInt32
    public var suite: SRTPCryptoSuite
    /// The master keys; at least one. More than one must all carry an MKI of one length.
    public var keys: [SDPCryptoKeyParameter]
    public var sessionParameters: [SDPCryptoSessionParameter]

    public static let maximumTag: UInt32 = 999_999_999

    public init(tag: UInt32, suite: SRTPCryptoSuite, keys: [SDPCryptoKeyParameter],
                sessionParameters: [SDPCryptoSessionParameter] = [])
    {
        self.tag = tag
        self.suite = suite
        self.keys = keys
        self.sessionParameters = sessionParameters
    }

    public init(tag: UInt32, suite: SRTPCryptoSuite, key: SDPCryptoKeyParameter,
                sessionParameters: [SDPCryptoSessionParameter] = [])
    {
        self.init(tag: tag, suite: suite, keys: [key], sessionParameters: sessionParameters)
    }

    /// The first (for the SBC, the only) master key.
    public var key: SDPCryptoKeyParameter { keys[0] }

    /// Whether `parameter` is among the session parameters.
    public func has(_ parameter: SDPCryptoSessionParameter) -> Bool { sessionParameters.contains(parameter) }

    /// The replay window the sender suggests (`WSH`), if any.
    public var windowSizeHint: Int? {
        for case .windowSizeHint(let size) in sessionParameters { return size }
        return nil
    }

    // MARK: Text

    /// The text after `a=crypto:`. Contains the key: it belongs in SDP, never in a log.
    public var value: String {
        var text = "\(tag) \(suite.name) " + keys.map { "inline:" + $0.value }.joined(separator: ";")
        for parameter in sessionParameters {
            text += " " + parameter.text
        }
        return text
    }

    /// The attribute with its keys replaced by their lengths, for logs.
    public var description: String {
        var text = "crypto:\(tag) \(suite.name) " + keys.map(\.description).joined(separator: ";")
        for parameter in sessionParameters {
            text += " " + parameter.description
        }
        return text
    }

    /// Parses the text after `a=crypto:`. Fields are separated by spaces or tabs (RFC 4568's
    /// `1*WSP`).
    public init(value: String) throws(SDPCryptoError) {
        let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let tagField = fields.first else {
            throw SDPCryptoError(tag: nil, suiteName: nil, problem: .missingField("the tag"))
        }
        guard tagField.utf8.count <= 9, let tag = SDPGrammar.decimal(tagField.utf8, max: UInt64(Self.maximumTag)), tag > 0
        else {
            throw SDPCryptoError(tag: nil, suiteName: nil, problem: .invalidTag(String(tagField.prefix(24))))
        }
        self.tag = UInt32(tag)
        guard fields.count >= 2 else {
            throw SDPCryptoError(tag: self.tag, suiteName: nil, problem: .missingField("the crypto suite"))
        }
        let suiteName = String(fields[1].prefix(40))
        func failure(_ problem: SDPCryptoProblem) -> SDPCryptoError {
            SDPCryptoError(tag: UInt32(tag), suiteName: suiteName, problem: problem)
        }
        guard let suite = SRTPCryptoSuite(name: fields[1]) else { throw failure(.unsupportedSuite(suiteName)) }
        self.suite = suite
        guard fields.count >= 3 else { throw failure(.missingField("the key parameters")) }
        do throws(SDPCryptoProblem) {
            keys = try SDPCryptoKeyParameter.list(fields[2], suite: suite)
            sessionParameters = try fields.dropFirst(3).map { text throws(SDPCryptoProblem) in
                try SDPCryptoSessionParameter(text: text, suite: suite)
            }
        } catch {
            throw failure(error)
        }
        if keys.count > 1 {
            let lengths = Set(keys.map { $0.mki?.length })
            guard lengths.count == 1, lengths.first! != nil else {
                throw failure(.malformedKeyParameter("several keys need an MKI each, all of one length (RFC 4568 §6.1)"))
            }
        }
    }

    // MARK: What the SBC terminates

    /// Throws unless the SBC can terminate SRTP keyed by this attribute; see the table in the
    /// type's documentation. `allowsUnencryptedSRTCP` is the trunk's setting.
    public func checkTerminable(allowsUnencryptedSRTCP: Bool) throws(SDPCryptoError) {
        func refuse(_ problem: SDPCryptoProblem) -> SDPCryptoError {
            SDPCryptoError(tag: tag, suiteName: suite.name, problem: problem)
        }
        guard keys.count == 1 else { throw refuse(.severalKeys(keys.count)) }
        for parameter in sessionParameters {
            if let reason = Self.refusal(of: parameter, allowsUnencryptedSRTCP: allowsUnencryptedSRTCP) {
                throw refuse(.unsupportedSessionParameter(String(parameter.name), reason))
            }
        }
    }

    /// Why the SBC refuses `parameter`; nil when it honours it.
    private static func refusal(of parameter: SDPCryptoSessionParameter, allowsUnencryptedSRTCP: Bool) -> String? {
        switch parameter {
        case .keyDerivationRate(0), .windowSizeHint, .fecOrder(.srtpFEC):
            nil
        case .keyDerivationRate:
            "the SBC derives session keys once (KDR=0)"
        case .unencryptedSRTP:
            "the SBC relays only encrypted SRTP"
        case .unauthenticatedSRTP:
            "the SBC relays and latches only authenticated SRTP"
        case .unencryptedSRTCP:
            allowsUnencryptedSRTCP ? nil : "this trunk does not allow unencrypted SRTCP"
        case .fecOrder(.fecSRTP):
            "the relay protects packet by packet, so FEC must be applied before SRTP (SRTP_FEC)"
        case .fecKey:
            "the SBC keeps no separate FEC key"
        case .extension:
            "unknown to the SBC"
        }
    }
}
