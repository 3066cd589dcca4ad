/// A header name normalised for lookup: lower-cased and with compact forms (RFC 3261 7.3.3 and
/// later registrations) expanded, so that `v`, `Via` and `VIA` are the same header.
public struct SIPHeaderName: Sendable, Hashable, CustomStringConvertible {
    /// Lower-case long form, the lookup key.
    public let canonical: String
    /// Small integer for the headers the SBC looks up all the time (0 for others), so that the
    /// many header comparisons of a message are integer compares, not string compares.
    let code: UInt8

    public init(_ name: String) {
        var lower = name
        if name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
            lower = String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        if lower.utf8.count == 1, let long = Self.compactForms[lower] { lower = long }
        canonical = lower
        code = Self.codes[lower] ?? 0
    }

    private init(canonical: String) {
        self.canonical = canonical
        code = Self.codes[canonical] ?? 0
    }

    /// The parser's entry point: known names (long or compact, any case) are found by their
    /// packed lower-case bytes, without allocating or hashing a string; only unknown names take
    /// the string path. Also says whether the bytes are spelled as `displayName`, so that the
    /// parser can keep that (static) string as the field's raw name instead of building one.
    static func parsing(_ bytes: ArraySlice<UInt8>) -> (name: SIPHeaderName, spelledAsDisplayName: Bool) {
        if let packed = PackedName(bytes), let known = Self.wellKnown[packed.folded] {
            return (known.name, packed == known.display)
        }
        return (SIPHeaderName(String(decoding: bytes, as: UTF8.self)), false)
    }

    /// Up to 16 bytes of a name in two words: a cheap dictionary key once lower-cased (`folded`),
    /// and a cheap spelling check as written.
    private struct PackedName: Hashable {
        var length: Int
        var low: UInt64 = 0
        var high: UInt64 = 0

        init?<C: Collection>(_ bytes: C) where C.Element == UInt8 {
            guard bytes.count <= 16 else { return nil }
            length = bytes.count
            for (offset, byte) in bytes.enumerated() {
                guard byte < 0x80 else { return nil }
                if offset < 8 { low |= UInt64(byte) << (8 * offset) } else { high |= UInt64(byte) << (8 * (offset - 8)) }
            }
        }

        /// ASCII upper-case letters made lower-case, eight bytes at a time.
        var folded: PackedName {
            var copy = self
            copy.low = Self.fold(low)
            copy.high = Self.fold(high)
            return copy
        }

        private static func fold(_ word: UInt64) -> UInt64 {
            // Per byte: set 0x20 where the byte is in 0x41...0x5A (no byte of a valid name is >= 0x80).
            let topBits: UInt64 = 0x8080_8080_8080_8080
            let fromA = (word &+ 0x3F3F_3F3F_3F3F_3F3F) & topBits  // byte + (0x80 - 0x41): top bit set from "A"
            let pastZ = (word &+ 0x2525_2525_2525_2525) & topBits  // byte + (0x80 - 0x5B): top bit set past "Z"
            return word | ((fromA & ~pastZ) >> 2)
        }
    }

    /// Display names longer than 16 bytes (`request-disposition`) have no packed form: a field
    /// spelled so keeps its own string.
    private static let wellKnown: [PackedName: (name: SIPHeaderName, display: PackedName?)] = {
        var table: [PackedName: (name: SIPHeaderName, display: PackedName?)] = [:]
        func add(_ spelling: String, _ canonical: String) {
            let name = SIPHeaderName(canonical: canonical)
            table[PackedName(spelling.utf8)!] = (name, PackedName(name.displayName.utf8))
        }
        for name in codes.keys { add(name, name) }
        for (short, long) in compactForms { add(short, long) }
        return table
    }()

    /// Codes of the headers checked on every message, as literals so that comparing against
    /// them costs an integer compare (no static initialiser, no string retain).
    enum Code {
        static let via: UInt8 = 1
        static let from: UInt8 = 2
        static let to: UInt8 = 3
        static let callID: UInt8 = 4
        static let cseq: UInt8 = 5
        static let contact: UInt8 = 6
        static let maxForwards: UInt8 = 7
        static let contentLength: UInt8 = 8
        static let contentType: UInt8 = 9
        static let route: UInt8 = 10
        static let recordRoute: UInt8 = 11
    }

    private static let codes: [String: UInt8] = {
        // Order matters: the first eleven match `Code`.
        let names = ["via", "from", "to", "call-id", "cseq", "contact", "max-forwards", "content-length",
                     "content-type", "route", "record-route", "retry-after", "supported", "require", "proxy-require",
                     "allow", "accept", "server", "user-agent", "reason", "rseq", "rack", "expires", "unsupported",
                     "warning"]
        return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, UInt8($0 + 1)) })
    }()

    public var description: String { canonical }

    /// Two known names compare by code: the message path compares header names all the time,
    /// and an integer compare is cheaper than a string one. The code follows from `canonical`,
    /// so this is the same equality.
    public static func == (lhs: SIPHeaderName, rhs: SIPHeaderName) -> Bool {
        lhs.code == rhs.code && (lhs.code != 0 || lhs.canonical == rhs.canonical)
    }

    public func hash(into hasher: inout Hasher) {
        if code != 0 { hasher.combine(code) } else { hasher.combine(canonical) }
    }

    /// The spelling the SBC uses when it writes this header itself.
    public var displayName: String {
        code != 0 ? Self.displayNamesByCode[Int(code)] : Self.displayNames[canonical] ?? canonical
    }

    /// `displayNames` by code, so that writing a known header looks nothing up by string.
    private static let displayNamesByCode: [String] = {
        var table = [String](repeating: "", count: codes.count + 1)
        for (name, code) in codes { table[Int(code)] = displayNames[name] ?? name }
        return table
    }()

    private static let compactForms: [String: String] = [
        "i": "call-id", "m": "contact", "f": "from", "t": "to", "v": "via", "l": "content-length",
        "c": "content-type", "e": "content-encoding", "k": "supported", "s": "subject", "o": "event",
        "r": "refer-to", "b": "referred-by", "u": "allow-events", "x": "session-expires", "y": "identity",
        "a": "accept-contact", "j": "reject-contact", "d": "request-disposition",
    ]

    private static let displayNames: [String: String] = [
        "via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq", "contact": "Contact",
        "max-forwards": "Max-Forwards", "content-length": "Content-Length", "content-type": "Content-Type",
        "route": "Route", "record-route": "Record-Route", "retry-after": "Retry-After", "server": "Server",
        "user-agent": "User-Agent", "reason": "Reason", "allow": "Allow", "supported": "Supported",
        "require": "Require", "proxy-require": "Proxy-Require", "unsupported": "Unsupported", "accept": "Accept",
        "warning": "Warning", "expires": "Expires", "date": "Date",
    ]

    public static let via = SIPHeaderName(canonical: "via")
    public static let from = SIPHeaderName(canonical: "from")
    public static let to = SIPHeaderName(canonical: "to")
    public static let callID = SIPHeaderName(canonical: "call-id")
    public static let cseq = SIPHeaderName(canonical: "cseq")
    public static let contact = SIPHeaderName(canonical: "contact")
    public static let maxForwards = SIPHeaderName(canonical: "max-forwards")
    public static let contentLength = SIPHeaderName(canonical: "content-length")
    public static let contentType = SIPHeaderName(canonical: "content-type")
    public static let route = SIPHeaderName(canonical: "route")
    public static let recordRoute = SIPHeaderName(canonical: "record-route")
    public static let retryAfter = SIPHeaderName(canonical: "retry-after")
    public static let server = SIPHeaderName(canonical: "server")
    public static let userAgent = SIPHeaderName(canonical: "user-agent")
    public static let reason = SIPHeaderName(canonical: "reason")
    public static let allow = SIPHeaderName(canonical: "allow")
    public static let supported = SIPHeaderName(canonical: "supported")
    public static let require = SIPHeaderName(canonical: "require")
    public static let proxyRequire = SIPHeaderName(canonical: "proxy-require")
    public static let unsupported = SIPHeaderName(canonical: "unsupported")
    public static let accept = SIPHeaderName(canonical: "accept")
    public static let warning = SIPHeaderName(canonical: "warning")
    public static let expires = SIPHeaderName(canonical: "expires")

    /// Headers that RFC 3261 allows only once; a second occurrence makes the message malformed
    /// (RFC 4475 multi01, mcl01).
    public static let singleValued: Set<SIPHeaderName> = [
        .from, .to, .callID, .cseq, .maxForwards, .contentLength, .contentType,
    ]

    /// Headers whose values may be comma-separated lists (RFC 3261 7.3.1) that we split.
    public static let listValued: Set<SIPHeaderName> = [.via, .contact, .route, .recordRoute]
}
