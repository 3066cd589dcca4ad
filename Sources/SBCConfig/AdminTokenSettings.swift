import Yams

/// One bearer token of the admin API (YAML list `admin.tokens`).
///
/// Why the configuration never holds the token itself: config files are copied into tickets, backups
/// and repositories. A token is given either as the hex SHA-256 of its value (key `sha256`), which
/// the admin API compares against the hash of what a client presents, or as the name of an
/// environment variable that holds it (key `env`), so that a secret store can inject it.
/// Exactly one of the two is required. Plain-text tokens are refused at load.
public struct AdminTokenSettings: Sendable, Equatable {
    /// Unique token name (key `name`, required; 1-64 letters, digits, `-`, `_`, `.`). It names the
    /// actor in the audit log, so that "who locked carrier-a" has an answer.
    public var name: String

    /// The SHA-256 of the token, 64 lowercase hex characters (key `sha256`), as printed by
    /// `printf %s TOKEN | sha256sum`. Only the format is checked here; the admin API hashes.
    public var sha256: String?

    /// The name of an environment variable holding the token (key `env`; letters, digits and `_`,
    /// not starting with a digit). Resolved when the admin API starts, not at load.
    public var environment: String?

    /// What the token may do (key `scopes`, required, at least one): items of ``knownScopes``, or
    /// `"*"` for all of them. Why scopes: a monitoring system reading `/metrics` must not be able to
    /// lock a carrier.
    public var scopes: Set<String>

    /// Every scope the admin API checks, in the order documented in docs/CONFIG.md.
    public static let knownScopes = ["trunks:read", "trunks:write", "groups:write", "audit:read", "metrics:read",
                                     "tls:read", "tls:write", "calls:read", "calls:write", "status:read",
                                     "config:read", "config:write"]

    /// The scope that stands for all of ``knownScopes`` (including ones added later).
    public static let allScopes = "*"

    /// Creates a token entry; exactly one of `sha256` and `environment` should be set (only the
    /// loader enforces it).
    public init(name: String, sha256: String? = nil, environment: String? = nil, scopes: Set<String>) {
        self.name = name
        self.sha256 = sha256
        self.environment = environment
        self.scopes = scopes
    }

    /// Whether this token grants `scope` (directly, or through `"*"`).
    public func grants(_ scope: String) -> Bool {
        scopes.contains(Self.allScopes) || scopes.contains(scope)
    }
}

extension AdminTokenSettings {
    /// The keys of one `admin.tokens` entry.
    static let keys = ["name", "sha256", "env", "scopes"]

    /// Keys someone writing a token in plain text would use; they get a message saying why not.
    static let plainTextKeys: Set<String> = ["token", "value", "secret", "password", "plain", "plaintext", "key"]

    /// The one message for a token given in plain text, wherever it is noticed.
    static let plainTextRefusal = "plain-text tokens are not accepted in the configuration (config files end up in "
        + "tickets, backups and repositories); write sha256: with the SHA-256 of the token "
        + "(printf %s TOKEN | sha256sum) or env: with the name of an environment variable that holds it"

    /// Reads one entry of `admin.tokens`. Always returns a value so that list indexes in later
    /// problems keep matching the file; uniqueness of names is checked by ``AdminSettings``.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> AdminTokenSettings {
        var token = AdminTokenSettings(name: "", scopes: [])
        if case .scalar = node, !MappingReader.isNull(node) {
            // The value is not echoed: it may well be the secret itself.
            problems.report(path, at: node.mark, "must be a mapping {name, scopes, sha256 or env}, got a plain "
                + "value: \(plainTextRefusal)")
            return token
        }
        guard let reader = MappingReader(node, at: path, keys: keys, unknownKey: { key, suggestion in
            if plainTextKeys.contains(key.lowercased()) { return "unknown key \"\(key)\": \(plainTextRefusal)" }
            return "unknown key \"\(key)\"" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? "")
        }, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a token needs name, scopes and sha256 or env")
            }
            return token
        }
        token.name = reader.name("admin token")
        let hash = reader.value("sha256"), variable = reader.value("env")
        switch (hash, variable) {
        case (_?, _?):
            problems.report(reader.path("env"), "set sha256 or env, not both: a token has one source")
        case (nil, nil):
            if !reader.unknownKeys.contains(where: { plainTextKeys.contains($0.lowercased()) }) {
                problems.report(path, "needs sha256 or env: \(plainTextRefusal)")
            }
        case (_?, nil):
            token.sha256 = readHash(reader)
        case (nil, _?):
            token.environment = readVariable(reader)
        }
        token.scopes = readScopes(reader)
        return token
    }

    /// `sha256`: exactly 64 lowercase hex characters. A value that is not hex at all is probably
    /// the token itself, and the message says so.
    private static func readHash(_ reader: MappingReader) -> String? {
        guard let text = reader.string("sha256") else { return nil }
        let hex = "0123456789abcdef"
        if text.count == 64, text.allSatisfy({ hex.contains($0) }) { return text }
        let message: String
        if text.count == 64, text.lowercased().allSatisfy({ hex.contains($0) }) {
            message = "must be 64 lowercase hex characters (as sha256sum prints them), got upper-case letters"
        } else if text.allSatisfy({ hex.contains($0) || "ABCDEF".contains($0) }) {
            message = "must be 64 hex characters (the SHA-256 of the token), got \(text.count)"
        } else {
            message = "must be 64 lowercase hex characters, the SHA-256 of the token, not the token itself: "
                + plainTextRefusal
        }
        reader.problems.report(reader.path("sha256"), message)
        return nil
    }

    /// `env`: a portable environment variable name (POSIX: letters, digits, `_`, no leading digit).
    private static func readVariable(_ reader: MappingReader) -> String? {
        guard let text = reader.string("env") else { return nil }
        let valid = !text.isEmpty && text.count <= 255 && !(text.first?.isNumber ?? true)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        if valid { return text }
        reader.problems.report(reader.path("env"), "must be the name of an environment variable (letters, digits "
            + "and _, not starting with a digit), such as SBC_ADMIN_TOKEN, got \(MappingReader.describe(.init(text)))")
        return nil
    }

    /// `scopes`: required, non-empty, each a known scope or `"*"`, each once.
    private static func readScopes(_ reader: MappingReader) -> Set<String> {
        let allowed = knownScopes + [allScopes]
        let allowedText = knownScopes.joined(separator: ", ") + " or \"*\" for all"
        guard reader.require("scopes", "what this token may do: \(allowedText)"),
              let items = reader.sequence("scopes") else { return [] }
        if items.isEmpty, !reader.problems.hasProblem(at: reader.path("scopes")) {
            reader.problems.report(reader.path("scopes"),
                                   "must list at least one scope (\(allowedText)); a token with none could do nothing")
            return []
        }
        var scopes: Set<String> = []
        var seen: [String: Int] = [:]
        for (position, item) in items.enumerated() {
            guard let scope = MappingReader.string(item.node, at: item.path, problems: reader.problems) else { continue }
            guard allowed.contains(scope) else {
                let hint = NameSuggester.hint(for: scope, among: allowed)
                reader.problems.report(item.path, at: item.node.mark,
                                       "must be one of \(allowedText), got \(MappingReader.describe(item.node))\(hint)")
                continue
            }
            if let earlier = seen[scope] {
                reader.problems.report(item.path, at: item.node.mark, "\"\(scope)\" is already listed at scopes[\(earlier)]")
                continue
            }
            seen[scope] = position
            scopes.insert(scope)
        }
        return scopes
    }
}
