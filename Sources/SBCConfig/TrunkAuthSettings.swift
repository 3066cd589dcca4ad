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
    /// Where the password comes from (`password`, `password_env` or `password_file`).
    public typealias PasswordSource = SecretSource

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
            let realm = reader.string("realm")
            guard let source = SecretSource.read(reader, what: "the password's source") else { return nil }
            return TrunkAuthSettings(username: username, password: source, realm: realm)
        } ?? nil
    }
}
