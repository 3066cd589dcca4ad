/// Tags, branches and Call-IDs. Injected so that tests are reproducible; production seeds from
/// the system generator. Values are long enough (>= 64 bits of randomness) to be globally unique
/// as RFC 3261 19.3 asks of tags and Call-IDs.
public struct IdentifierGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64? = nil) {
        var system = SystemRandomNumberGenerator()
        state = seed ?? system.next()
        if state == 0 { state = 0x9E37_79B9_7F4A_7C15 }
    }

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// splitmix64: fast, and good enough for identifiers (not for secrets).
    private mutating func nextWord() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Also the B2BUA's random source for weighted trunk selection.
    public mutating func next() -> UInt64 { nextWord() }

    public mutating func token(length: Int = 16) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        var word = nextWord()
        for index in 0..<length {
            if index % 12 == 11 { word = nextWord() }
            bytes.append(Self.alphabet[Int(word % 36)])
            word /= 36
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public mutating func branch() -> String { "z9hG4bK" + token(length: 20) }
    public mutating func tag() -> String { token(length: 12) }
    public mutating func callID() -> String { token(length: 24) }
    /// An SDP o= sess-id: numeric, and below 2^62 so peers that parse it as a signed 64-bit
    /// integer (RFC 8866 only asks for digits) still can.
    public mutating func sdpSessionID() -> UInt64 { nextWord() >> 2 }
}
