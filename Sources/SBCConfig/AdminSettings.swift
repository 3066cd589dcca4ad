import Yams

/// The admin REST API and `/metrics` (YAML section `admin`, optional).
///
/// Why in the SBC's own file: the API locks and unlocks trunks and approves fail-backs, so who may
/// call it (tokens and scopes) and where it listens are part of the node's security posture and
/// belong where `sbc check-config` and code review see them.
public struct AdminSettings: Sendable, Equatable {
    /// Whether the admin API listens at all (key `enabled`, default true). Why on by default:
    /// trunk state, locks and fail-back approval are operated through it, and it listens on
    /// loopback unless told otherwise.
    public var enabled: Bool

    /// Where the API listens (key `listen`, default `"127.0.0.1:8080"`): `IP:port`, or `[IPv6]:port`;
    /// the address is a numeric literal and may be a wildcard (`0.0.0.0:8080`). Why loopback by
    /// default: the API changes call routing; exposing it is a decision to make explicitly, behind
    /// a firewall or a reverse proxy with TLS.
    public var listenAddress: String

    /// Bearer tokens accepted by the API (key `tokens`, default none). Each names its scopes; with
    /// no token every authenticated endpoint answers 401.
    public var tokens: [AdminTokenSettings]

    public static let defaultListenAddress = "127.0.0.1:8080"

    /// Creates admin settings; every argument defaults to the documented default.
    public init(enabled: Bool = true, listenAddress: String = AdminSettings.defaultListenAddress,
                tokens: [AdminTokenSettings] = []) {
        self.enabled = enabled
        self.listenAddress = listenAddress
        self.tokens = tokens
    }

    /// ``listenAddress`` split into the address literal (without brackets) and the port. Always
    /// succeeds for a loaded configuration.
    public var listenEndpoint: (host: String, port: UInt16)? {
        Self.splitEndpoint(listenAddress).flatMap { host, port in port.map { (host, $0) } }
    }

    /// The token called `name`, if any.
    public func token(named name: String) -> AdminTokenSettings? {
        tokens.first { $0.name == name }
    }

    /// `"127.0.0.1:8080"` -> ("127.0.0.1", 8080), `"[::1]:8080"` -> ("::1", 8080); the port is nil
    /// when it is not a number 1-65535. Nil when there is no `:port` part at all.
    static func splitEndpoint(_ text: String) -> (host: String, port: UInt16?)? {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), text.filter({ $0 == ":" }).count == 1 else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        let port = MappingReader.parseInteger(String(portText)).flatMap { (1...65535).contains($0) ? UInt16($0) : nil }
        return (String(host), port)
    }
}

extension AdminSettings {
    /// The keys of the `admin` section.
    static let keys = ["enabled", "listen", "tokens"]

    /// Reads the `admin` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> AdminSettings {
        var settings = AdminSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.enabled = reader.boolean("enabled") ?? settings.enabled
        settings.listenAddress = readListen(reader) ?? settings.listenAddress
        settings.tokens = (reader.sequence("tokens") ?? []).map { element in
            AdminTokenSettings.read(element.node, at: element.path, problems: problems)
        }
        for (index, token) in settings.tokens.enumerated() where !token.name.isEmpty {
            if let earlier = settings.tokens[..<index].firstIndex(where: { $0.name == token.name }) {
                let line = problems.mark(of: "\(path).tokens[\(earlier)]")?.line
                problems.report("\(path).tokens[\(index)].name",
                                "duplicate token name \"\(token.name)\"; tokens[\(earlier)]"
                                    + (line.map { " (line \($0))" } ?? "") + " already uses it: the name identifies "
                                    + "the actor in the audit log")
            }
        }
        return settings
    }

    /// `listen`: `IP:port` or `[IPv6]:port`, the address a numeric literal.
    private static func readListen(_ reader: MappingReader) -> String? {
        guard let text = reader.string("listen") else { return nil }
        let example = "such as 127.0.0.1:8080 or [::1]:8080"
        guard let (host, port) = splitEndpoint(text) else {
            let colons = text.filter { $0 == ":" }.count
            let ipv6Hint = ": write an IPv6 address in brackets, as in [::1]:8080"
            let hint = IPAddressLiteral(text) != nil ? ": the port is missing" + (colons > 1 ? ipv6Hint : "")
                : colons > 1 ? ipv6Hint : ""
            reader.problems.report(reader.path("listen"),
                                   "must be IP:port \(example), got \(MappingReader.describe(.init(text)))\(hint)")
            return nil
        }
        guard IPAddressLiteral(host) != nil else {
            reader.problems.report(reader.path("listen"),
                                   "must be IP:port \(example), got \(MappingReader.describe(.init(text))): "
                                       + "\"\(host)\" is not an IP address; \(IPAddressLiteral.explainInvalid(host))")
            return nil
        }
        guard port != nil else {
            reader.problems.report(reader.path("listen"),
                                   "must be IP:port \(example) with a port 1-65535, got \(MappingReader.describe(.init(text)))")
            return nil
        }
        return text
    }
}
