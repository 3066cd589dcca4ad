import Crypto

/// A configured admin credential: its name (used as the audit actor), the SHA-256 of the secret
/// and the scopes it grants.
///
/// Only the hash is configured so that neither the configuration file nor the process memory
/// holds a usable secret; `AdminTokenVerifier` hashes what a client presents and compares.
public struct AdminToken: Sendable, Equatable {
    /// Who the token belongs to; recorded as `actor` in the audit trail and logs.
    public var name: String
    /// Lowercase or uppercase hex of SHA-256(token).
    public var sha256Hex: String
    /// Granted scopes (`trunks:read`, `trunks:write`, `groups:write`, `audit:read`,
    /// `metrics:read`); `*` grants all.
    public var scopes: Set<String>

    public init(name: String, sha256Hex: String, scopes: Set<String>) {
        self.name = name
        self.sha256Hex = sha256Hex
        self.scopes = scopes
    }

    /// Lowercase hex SHA-256 of a token value, as `printf %s TOKEN | sha256sum` prints it.
    ///
    /// For tokens configured by environment variable (`admin.tokens[].env`): the wiring hashes
    /// the value once at start-up and keeps only the hash, so no plain token outlives start-up.
    public static func sha256Hex(of token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Whether this token may use an endpoint that needs `scope`.
    public func grants(_ scope: String) -> Bool {
        scopes.contains("*") || scopes.contains(scope)
    }
}
