/// The `name-addr / addr-spec` form shared by From, To, Contact, Route and Record-Route, with its
/// header parameters (tag, expires, lr, ...).
public struct SIPNameAddress: Sendable, Hashable, CustomStringConvertible, SIPWireWritable {
    /// Display name exactly as written (quoted-string with its quotes, or tokens).
    public var displayName: String?
    public var uri: SIPURI
    public var parameters: [SIPParameter]

    public init(displayName: String? = nil, uri: SIPURI, parameters: [SIPParameter] = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    public var tag: String? {
        get { parameters[parameter: "tag"] ?? nil }
        set {
            if let newValue { parameters.set("tag", to: newValue) } else { parameters.remove(parameter: "tag") }
        }
    }

    /// Always written in name-addr form: unambiguous whatever the URI contains.
    public var description: String { wireText }

    func write<Sink: SIPWireSink>(to sink: inout Sink) {
        if let displayName {
            sink.append(displayName)
            sink.append(SIPGrammar.space)
        }
        sink.append(UInt8(ascii: "<"))
        uri.write(to: &sink)
        sink.append(UInt8(ascii: ">"))
        parameters.write(to: &sink)
    }

    /// Parses a single-valued header such as From or To.
    public static func parse(_ value: String) -> SIPNameAddress? {
        var scanner = SIPScanner(value)
        guard let address = parse(from: &scanner) else { return nil }
        scanner.skipWhitespace()
        return scanner.isAtEnd ? address : nil
    }

    /// Parses a comma-separated list (Contact, Route, Record-Route); nil if any element is malformed.
    public static func parseList(_ value: String) -> [SIPNameAddress]? {
        var scanner = SIPScanner(value)
        var result: [SIPNameAddress] = []
        repeat {
            guard let address = parse(from: &scanner) else { return nil }
            result.append(address)
        } while scanner.consume(SIPGrammar.comma)
        scanner.skipWhitespace()
        return scanner.isAtEnd ? result : nil
    }

    static func parse(from scanner: inout SIPScanner) -> SIPNameAddress? {
        scanner.skipWhitespace()
        let start = scanner.index
        var displayName: String?
        if scanner.peek == SIPGrammar.quote {
            guard let quoted = scanner.readQuotedString() else { return nil }
            displayName = quoted
            scanner.skipWhitespace()
            guard scanner.peek == SIPGrammar.lessThan else { return nil }
        } else {
            // *(token LWS) before "<" is a display name; otherwise this is a bare addr-spec.
            var tokens: [String] = []
            while let token = scanner.readToken() {
                tokens.append(token)
                scanner.skipWhitespace()
            }
            if scanner.peek == SIPGrammar.lessThan {
                displayName = tokens.isEmpty ? nil : tokens.joined(separator: " ")
            } else {
                scanner.index = start
                return parseAddrSpec(from: &scanner)
            }
        }
        scanner.index += 1  // "<"
        let uriBytes = scanner.readBytes { $0 == SIPGrammar.greaterThan }
        guard scanner.peek == SIPGrammar.greaterThan, let uri = SIPURI(bytes: uriBytes) else { return nil }
        scanner.index += 1
        guard let parameters = scanner.readParameters() else { return nil }
        return SIPNameAddress(displayName: displayName, uri: uri, parameters: parameters)
    }

    /// A bare addr-spec: its parameters belong to the header, so the URI may not contain `;`,
    /// `,` or `?` (RFC 3261 20.10; RFC 4475 regbadct).
    private static func parseAddrSpec(from scanner: inout SIPScanner) -> SIPNameAddress? {
        let uriBytes = scanner.readBytes {
            $0 == SIPGrammar.semicolon || $0 == SIPGrammar.comma || SIPGrammar.isWhitespace($0)
        }
        guard !uriBytes.contains(SIPGrammar.question), let uri = SIPURI(bytes: uriBytes) else { return nil }
        guard let parameters = scanner.readParameters() else { return nil }
        return SIPNameAddress(displayName: nil, uri: uri, parameters: parameters)
    }
}
