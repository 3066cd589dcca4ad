/// One `inline:<key||salt>[|lifetime][|MKI:length]` of an `a=crypto` (RFC 4568 §6.1): an SRTP
/// master key with its salt and the two optional parameters that bound and name it.
///
/// The key bytes are secret: ``description`` never shows them, so interpolating a key, an
/// attribute or an error into a log line or a SIP reason cannot leak it.
public struct SDPCryptoKeyParameter: Sendable, Hashable, CustomStringConvertible {
    /// Master key followed by master salt, as decoded from base64.
    public var keyAndSalt: [UInt8]
    /// How many packets the key may protect; nil for the suite's maximum (2^48).
    public var lifetime: SDPCryptoLifetime?
    /// The Master Key Identifier every packet under this key carries; nil for none.
    public var mki: SDPCryptoMKI?

    public init(keyAndSalt: [UInt8], lifetime: SDPCryptoLifetime? = nil, mki: SDPCryptoMKI? = nil) {
        self.keyAndSalt = keyAndSalt
        self.lifetime = lifetime
        self.mki = mki
    }

    /// A fresh key and salt for `suite` from `random`, without lifetime or MKI: what the SBC
    /// puts in its own `a=crypto`. Production passes `SystemRandomNumberGenerator`, which reads
    /// the kernel's CSPRNG (getrandom on Linux); tests pass a seeded generator so that the SDP
    /// they expect is fixed.
    public static func random(for suite: SRTPCryptoSuite, using random: inout some RandomNumberGenerator) -> Self {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(suite.keyAndSaltLength + 7)
        while bytes.count < suite.keyAndSaltLength {
            withUnsafeBytes(of: random.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - suite.keyAndSaltLength)
        return SDPCryptoKeyParameter(keyAndSalt: bytes)
    }

    /// The text after `inline:`.
    public var value: String {
        var text = SDPBase64.encode(keyAndSalt)
        if let lifetime { text += "|" + lifetime.value }
        if let mki { text += "|" + mki.text }
        return text
    }

    /// The parameters without the key: `inline:<30 bytes>|2^31|1:4`.
    public var description: String {
        var text = "inline:<\(keyAndSalt.count) bytes>"
        if let lifetime { text += "|" + lifetime.value }
        if let mki { text += "|" + mki.text }
        return text
    }

    /// Parses the text after `inline:` for `suite`. Errors carry the problem only; the caller
    /// adds which attribute it was.
    init(inlineValue text: Substring, suite: SRTPCryptoSuite) throws(SDPCryptoProblem) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count <= 3 else { throw .malformedKeyParameter("more than two '|' parameters after the key") }
        switch SDPBase64.decode(parts[0]) {
        case .failure(let problem):
            throw .invalidBase64(problem)
        case .success(let bytes):
            guard bytes.count == suite.keyAndSaltLength else {
                throw .wrongKeyLength(suite: suite, actual: bytes.count)
            }
            keyAndSalt = bytes
        }
        lifetime = nil
        mki = nil
        for part in parts.dropFirst() {
            if part.contains(":") {
                guard mki == nil else { throw .malformedKeyParameter("two MKI parameters") }
                mki = try SDPCryptoMKI(text: part)
            } else {
                guard lifetime == nil, mki == nil else {
                    throw .malformedKeyParameter("the lifetime must come before the MKI and only once")
                }
                lifetime = try SDPCryptoLifetime(text: part)
            }
        }
    }
}

/// The `lifetime` of a master key (RFC 4568 §6.1): the number of SRTP (and, counted apart,
/// SRTCP) packets it may protect, written `2^n` or in decimal. The written form is kept so an
/// attribute is serialised as it arrived.
public enum SDPCryptoLifetime: Sendable, Hashable {
    /// `2^n`.
    case powerOfTwo(Int)
    /// A decimal packet count.
    case packets(UInt64)

    /// The packet count.
    public var packetCount: UInt64 {
        switch self {
        case .powerOfTwo(let exponent): 1 << UInt64(exponent)
        case .packets(let count): count
        }
    }

    /// The text as written in the key parameter.
    public var value: String {
        switch self {
        case .powerOfTwo(let exponent): "2^\(exponent)"
        case .packets(let count): String(count)
        }
    }

    init(text: Substring) throws(SDPCryptoProblem) {
        let maximum = SRTPCryptoSuite.maximumLifetime
        if text.hasPrefix("2^") {
            let digits = text.dropFirst(2)
            guard let exponent = SDPGrammar.decimal(digits.utf8, max: 63) else {
                throw .invalidLifetime(String(text.prefix(24)), "expected 2^n or a decimal packet count")
            }
            guard exponent <= 48 else {
                throw .invalidLifetime(String(text), "above the 2^48 packets a master key may protect (RFC 3711 §9.2)")
            }
            self = .powerOfTwo(Int(exponent))
        } else {
            guard SDPGrammar.isNumeric(text.utf8) else {
                throw .invalidLifetime(String(text.prefix(24)), "expected 2^n or a decimal packet count")
            }
            guard let count = SDPGrammar.decimal(text.utf8, max: maximum) else {
                throw .invalidLifetime(String(text.prefix(24)), "above the 2^48 packets a master key may protect (RFC 3711 §9.2)")
            }
            self = .packets(count)
        }
        guard packetCount > 0 else { throw .invalidLifetime(String(text), "a key must protect at least one packet") }
    }
}

/// A Master Key Identifier (RFC 4568 §6.1, RFC 3711 §3.1): `value:length`, the decimal value
/// sent big-endian in `length` bytes after every packet's payload, so that a receiver holding
/// several keys knows which one protected it.
public struct SDPCryptoMKI: Sendable, Hashable {
    public var value: UInt64
    /// Bytes on the wire, 1...128.
    public var length: Int

    public init(value: UInt64, length: Int) {
        self.value = value
        self.length = length
    }

    /// The MKI as it appears in packets: `value` big-endian, left-padded to `length` bytes.
    public var bytes: [UInt8] {
        (0..<length).map { index in
            let shift = (length - 1 - index) * 8
            return shift >= 64 ? 0 : UInt8(truncatingIfNeeded: value >> UInt64(shift))
        }
    }

    /// `value:length` as written in the key parameter.
    public var text: String { "\(value):\(length)" }

    init(text: Substring) throws(SDPCryptoProblem) {
        let excerpt = String(text.prefix(32))
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2, SDPGrammar.isNumeric(fields[0].utf8), SDPGrammar.isNumeric(fields[1].utf8),
              fields[1].utf8.count <= 3
        else { throw .invalidMKI(excerpt, "expected value:length in decimal") }
        guard let length = SDPGrammar.decimal(fields[1].utf8, max: 128), length >= 1 else {
            throw .invalidMKI(excerpt, "the length must be 1 to 128 bytes")
        }
        guard let value = SDPGrammar.decimal(fields[0].utf8, max: UInt64.max) else {
            throw .invalidMKI(excerpt, "the value is larger than the SBC handles (2^64 - 1)")
        }
        guard length >= 8 || value >> (8 * length) == 0 else {
            throw .invalidMKI(excerpt, "the value does not fit in \(length) byte\(length == 1 ? "" : "s")")
        }
        self.value = value
        self.length = Int(length)
    }
}
