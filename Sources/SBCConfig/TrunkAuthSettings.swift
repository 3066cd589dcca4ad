import Yams

/// Digest credentials the SBC answers a trunk's 401/407 challenges with (key `trunks[].auth`, a
/// mapping, optional). docs/AUTH.md.
///
/// Why per trunk: credentials belong to one carrier account and are only ever sent to that
/// trunk (the request's destination), never to another carrier or to the platform. The password
/// comes from exactly one of `password` (written in the file: discouraged, the file then is a
/// secret), `password_env` (an environment variable of the SBC process) or `password_file` (a
/// file readable by the SBC, trailing newline stripped), resolved when the SBC starts
/// (``TrunkCredentialResolver``). It never appears in logs, CDRs, the admin API or `description`.
public struct TrunkAuthSettings: Sendable, Equatable {
    /// Where the password comes from.
    public enum PasswordSource: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// Key `password`: the password itself, in the configuration file.
        case inline(String)
        /// Key `password_env`: the name of an environment variable.
        case environment(String)
        /// Key `password_file`: the path of a file holding the password.
        case file(String)

        /// The key it was given with (for messages): never the password.
        public var key: String {
            switch self {
            case .inline: "password"
            case .environment: "password_env"
            case .file: "password_file"
            }
        }

        public var description: String {
            switch self {
            case .inline: "password <redacted>"
            case .environment(let name): "password_env \(name)"
            case .file(let path): "password_file \(path)"
            }
        }

        public var debugDescription: String { description }
        public var customMirror: Mirror { Mirror(self, children: ["source": description]) }
    }

    /// The account name (key `username`, required).
    public var username: String
    /// The password's source (exactly one of `password`, `password_env`, `password_file`).
    public var password: PasswordSource
    /// The only realm these credentials answer (key `realm`, optional; default any realm the
    /// trunk challenges with). A challenge for another realm fails the attempt as an
    /// authentication failure instead of sending the credentials.
    public var realm: String?

    public init(username: String, password: PasswordSource, realm: String? = nil) {
        self.username = username
        self.password = password
        self.realm = realm
    }

    static let keys = ["username", "password", "password_env", "password_file", "realm"]

    static func read(_ trunk: MappingReader) -> TrunkAuthSettings? {
        trunk.nested("auth", keys: keys) { reader -> TrunkAuthSettings? in
            var username = ""
            if reader.require("username", "the account name the trunk's challenges are answered with") {
                username = reader.string("username") ?? ""
                if username.isEmpty || username.contains(where: { $0.isNewline || $0 == "\0" }) {
                    reader.problems.report(reader.path("username"), "must be a non-empty single line")
                }
            }
            var sources: [PasswordSource] = []
            if let text = reader.string("password") { sources.append(.inline(text)) }
            if let name = reader.string("password_env") {
                if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                    reader.problems.report(reader.path("password_env"),
                                           "must be an environment variable name (letters, digits, '_')")
                }
                sources.append(.environment(name))
            }
            if let path = reader.string("password_file") {
                if path.isEmpty { reader.problems.report(reader.path("password_file"), "must be a file path") }
                sources.append(.file(path))
            }
            let realm = reader.string("realm")
            guard sources.count == 1, let source = sources.first else {
                let what = sources.isEmpty ? "needs one of" : "takes only one of"
                reader.problems.report(reader.path(sources.isEmpty ? "password" : sources[1].key),
                                       "\(what) password_env, password_file or password (the password's source)")
                return nil
            }
            return TrunkAuthSettings(username: username, password: source, realm: realm)
        } ?? nil
    }
}
