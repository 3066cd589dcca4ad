/// One Via entry. Responses are routed back along these, and RFC 3581 `rport`/`received` let
/// the SBC answer clients behind NAT at the address the request really came from.
public struct SIPVia: Sendable, Hashable, CustomStringConvertible, SIPWireWritable {
    /// Upper-cased transport token (UDP, TCP, TLS, SCTP, WS, ... or an extension).
    public var transport: String
    public var host: String
    public var port: UInt16?
    public var parameters: [SIPParameter]

    public init(transport: String, host: String, port: UInt16?, parameters: [SIPParameter]) {
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// RFC 3261 8.1.1.7: branches starting with this cookie are unique per transaction.
    public static let magicCookie = "z9hG4bK"

    public var branch: String? { parameters[parameter: "branch"] ?? nil }

    /// The branch of the first Via in `value` when it is written plainly (`;branch=` in any
    /// case, then nothing but token characters up to `;` or the end, and no quote or comma
    /// before it); nil otherwise,
    /// for the caller to parse properly. Never wrong where it answers: a quote or a comma before
    /// the match ends the scan.
    static func plainBranch(in value: String) -> String? {
        var value = value
        return value.withUTF8(plainBranch(in:))
    }

    private static func plainBranch(in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let pattern: StaticString = ";branch="
        let patternCount = pattern.utf8CodeUnitCount
        var matched = 0
        var index = 0
        while index < bytes.count, matched < patternCount {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: ",") { return nil }
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if lower == pattern.utf8Start[matched] {
                matched += 1
            } else {
                matched = lower == pattern.utf8Start[0] ? 1 : 0
            }
        }
        guard matched == patternCount else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
        let branch = UnsafeBufferPointer(rebasing: bytes[start..<index])
        guard !branch.isEmpty, branch.allSatisfy(SIPGrammar.isToken) else { return nil }
        return String(decoding: branch, as: UTF8.self)
    }
    public var received: String? { parameters[parameter: "received"] ?? nil }
    /// `.some(nil)` when the client asked for rport without a value (RFC 3581).
    public var rport: String?? { parameters[parameter: "rport"] }

    public var sentBy: String { port.map { "\(host):\($0)" } ?? host }

    public var description: String { wireText }

    func write<Sink: SIPWireSink>(to sink: inout Sink) {
        sink.append("SIP/2.0/")
        sink.append(transport)
        sink.append(SIPGrammar.space)
        sink.append(host)
        if let port {
            sink.append(UInt8(ascii: ":"))
            sink.append(decimal: Int(port))
        }
        parameters.write(to: &sink)
    }

    public static func parseList(_ value: String) -> [SIPVia]? {
        var scanner = SIPScanner(value)
        var result: [SIPVia] = []
        repeat {
            guard let via = parse(from: &scanner) else { return nil }
            result.append(via)
        } while scanner.consume(SIPGrammar.comma)
        scanner.skipWhitespace()
        return scanner.isAtEnd ? result : nil
    }

    private static func parse(from scanner: inout SIPScanner) -> SIPVia? {
        scanner.skipWhitespace()
        guard let name = scanner.readToken(), name.equalsIgnoringASCIICase("SIP"), scanner.consume(SIPGrammar.slash),
              let version = scanner.readToken(), version == "2.0", scanner.consume(SIPGrammar.slash),
              let transport = scanner.readToken()
        else { return nil }
        scanner.skipWhitespace()
        let host: String
        if scanner.peek == 0x5B {
            let hostText = scanner.read { $0 == 0x5D }
            guard scanner.peek == 0x5D else { return nil }
            scanner.index += 1
            host = hostText + "]"
        } else {
            host = scanner.read {
                !(SIPGrammar.isAlphanumeric($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F)
            }
        }
        guard !host.isEmpty else { return nil }
        var port: UInt16?
        if scanner.consume(SIPGrammar.colon) {
            guard let digits = scanner.readToken(), let value = SIPGrammar.boundedDecimal(digits, max: 65535) else {
                return nil
            }
            port = UInt16(value)
        }
        guard let parameters = scanner.readParameters() else { return nil }
        let upper = transport.utf8.contains { $0 >= 0x61 && $0 <= 0x7A } ? transport.uppercased() : transport
        return SIPVia(transport: upper, host: host, port: port, parameters: parameters)
    }
}
