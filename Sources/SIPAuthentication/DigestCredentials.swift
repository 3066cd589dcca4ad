/// A trunk's digest credentials, resolved from the configuration (`trunks[].auth`).
///
/// The password never prints: `description`, `debugDescription` and reflection (what string
/// interpolation and `dump` of an enclosing value use) show the username and realm only, so a
/// log line or error that interpolates a value holding credentials cannot leak it.
public struct DigestCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var username: String
    public var password: String
    /// The only realm these credentials answer (`auth.realm`); nil answers any realm the
    /// trunk challenges with.
    public var realm: String?

    public init(username: String, password: String, realm: String? = nil) {
        self.username = username
        self.password = password
        self.realm = realm
    }

    /// Whether these credentials may answer a challenge for `challengeRealm`.
    public func answers(realm challengeRealm: String) -> Bool {
        realm.map { $0 == challengeRealm } ?? true
    }

    public var description: String {
        "DigestCredentials(username: \(username), password: <redacted>\(realm.map { ", realm: \($0)" } ?? ""))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["username": username, "realm": realm as Any], displayStyle: .struct)
    }
}
