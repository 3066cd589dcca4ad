/// Why an `a=crypto` attribute cannot be used, naming the attribute by its tag and suite.
///
/// Why the message never quotes the key: these errors end up in logs, CDRs and, summarised, in
/// the reason of a 488; an `inline:` key there would hand the peer's media to anyone reading
/// them. The problem says what is wrong and where (a byte count, a character position).
public struct SDPCryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The attribute's tag; nil when the tag itself is what could not be read.
    public var tag: UInt32?
    /// The suite as written; nil when the attribute ended before it.
    public var suiteName: String?
    public var problem: SDPCryptoProblem

    public init(tag: UInt32?, suiteName: String?, problem: SDPCryptoProblem) {
        self.tag = tag
        self.suiteName = suiteName
        self.problem = problem
    }

    /// Whether the attribute is well formed but asks for something the SBC does not do (or
    /// the trunk does not allow), as opposed to breaking RFC 4568's grammar.
    public var isUnsupported: Bool { problem.isUnsupported }

    /// `a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is 29 bytes, expected 30 (...)`.
    public var description: String {
        var name = "a=crypto"
        if let tag {
            name += ":\(tag)"
            if let suiteName { name += " " + suiteName }
        }
        return name + ": " + problem.description
    }
}

/// What is wrong with an `a=crypto`, without the attribute's identity.
public enum SDPCryptoProblem: Error, Sendable, Hashable, CustomStringConvertible {
    // MARK: Malformed (RFC 4568 §9.2 grammar)

    /// Fewer than the three fields `tag suite key-params`.
    case missingField(String)
    /// The tag is not 1 to 9 digits from 1 to 999999999.
    case invalidTag(String)
    /// A key parameter that is not `inline:<key>[|lifetime][|MKI:length]`.
    case malformedKeyParameter(String)
    case invalidBase64(SDPBase64Problem)
    /// The decoded key and salt do not have the suite's length.
    case wrongKeyLength(suite: SRTPCryptoSuite, actual: Int)
    case invalidLifetime(String, String)
    case invalidMKI(String, String)
    case invalidSessionParameter(String, String)

    // MARK: Unsupported (well formed, refused)

    /// A suite the SBC does not implement.
    case unsupportedSuite(String)
    /// A key method other than `inline`.
    case unsupportedKeyMethod(String)
    /// More than one master key: switching keys by MKI mid-stream is not supported.
    case severalKeys(Int)
    /// A session parameter the SBC cannot honour, and why.
    case unsupportedSessionParameter(String, String)
    /// A suite the SBC implements that this trunk's list does not allow.
    case suiteNotAllowed(SRTPCryptoSuite)

    public var isUnsupported: Bool {
        switch self {
        case .unsupportedSuite, .unsupportedKeyMethod, .severalKeys, .unsupportedSessionParameter, .suiteNotAllowed:
            true
        case .missingField, .invalidTag, .malformedKeyParameter, .invalidBase64, .wrongKeyLength, .invalidLifetime,
             .invalidMKI, .invalidSessionParameter:
            false
        }
    }

    public var description: String {
        switch self {
        case .missingField(let what):
            "missing \(what) (expected <tag> <suite> inline:<key> [session parameters])"
        case .invalidTag(let text):
            "tag '\(text)' is not a number from 1 to 999999999"
        case .malformedKeyParameter(let reason):
            "malformed key parameter: \(reason)"
        case .invalidBase64(let problem):
            "inline key is not valid base64: \(problem)"
        case .wrongKeyLength(let suite, let actual):
            "inline key is \(actual) bytes, expected \(suite.keyAndSaltLength) "
                + "(\(suite.masterKeyLength)-byte key + \(suite.masterSaltLength)-byte salt)"
        case .invalidLifetime(let text, let reason):
            "lifetime '\(text)': \(reason)"
        case .invalidMKI(let text, let reason):
            "MKI '\(text)': \(reason)"
        case .invalidSessionParameter(let name, let reason):
            "session parameter \(name): \(reason)"
        case .unsupportedSuite(let name):
            "crypto suite \(name) is not supported"
        case .unsupportedKeyMethod(let method):
            "key method '\(method)' is not supported (only inline)"
        case .severalKeys(let count):
            "\(count) master keys in one attribute are not supported: the SBC keeps one key per direction "
                + "and re-keys by offer/answer, not by MKI"
        case .unsupportedSessionParameter(let name, let reason):
            "session parameter \(name) is not supported: \(reason)"
        case .suiteNotAllowed(let suite):
            "crypto suite \(suite) is not in this trunk's list"
        }
    }
}
