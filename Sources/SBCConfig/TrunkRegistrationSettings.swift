import Yams

/// A REGISTER binding the SBC keeps alive at the trunk's registrar (key `trunks[].register`, a
/// mapping, or `true` for every default; optional). docs/AUTH.md.
///
/// Why: some carriers only take calls from (and only send calls to) a registered trunk. While
/// the binding is missing the trunk is **down** in its health state (cause
/// `registration_failed`), so routing fails over instead of sending calls the carrier refuses.
public struct TrunkRegistrationSettings: Sendable, Equatable {
    /// Whether the SBC registers (key `enabled`, default true once `register` is given).
    public var enabled: Bool
    /// Binding lifetime asked for, in seconds (key `expires_s`, default 3600, range 60-86400). A
    /// registrar may grant less; a 423 raises it to the registrar's Min-Expires.
    public var expires: Int
    /// Where REGISTER goes (key `registrar`, `IP:port` or `[IPv6]:port`, default the trunk's
    /// `address` and `port`).
    public var registrarHost: String?
    public var registrarPort: UInt16?
    /// The AOR's user part (key `user`, default the trunk's `auth.username`; one of the two is
    /// required).
    public var user: String?
    /// The AOR's host part and the REGISTER Request-URI (key `domain`, default the trunk's
    /// `address`), for carriers that register accounts under a domain name.
    public var domain: String?
    /// First wait after a failed REGISTER (key `retry_min_s`, default 5, range 1-3600); each
    /// further failure doubles it up to `retry_max_s`. A registrar's Retry-After is honoured.
    public var retryMin: Duration
    /// Longest wait between failed REGISTERs (key `retry_max_s`, default 300, range 1-86400,
    /// at least `retry_min_s`).
    public var retryMax: Duration

    public static let defaultExpires = 3600
    public static let expiresRange = 60...86_400

    public init(enabled: Bool = true, expires: Int = TrunkRegistrationSettings.defaultExpires,
                registrarHost: String? = nil, registrarPort: UInt16? = nil, user: String? = nil,
                domain: String? = nil, retryMin: Duration = .seconds(5), retryMax: Duration = .seconds(300)) {
        self.enabled = enabled
        self.expires = expires
        self.registrarHost = registrarHost
        self.registrarPort = registrarPort
        self.user = user
        self.domain = domain
        self.retryMin = retryMin
        self.retryMax = retryMax
    }

    static let keys = ["enabled", "expires_s", "registrar", "user", "domain", "retry_min_s", "retry_max_s"]

    /// Reads `register` of a trunk (`true`/`false` or a mapping). `auth` supplies the default user.
    static func read(_ trunk: MappingReader, auth: TrunkAuthSettings?) -> TrunkRegistrationSettings? {
        guard let node = trunk.value("register") else { return nil }
        var settings = TrunkRegistrationSettings()
        if case .scalar = node {
            guard let enabled = trunk.boolean("register") else { return nil }
            settings.enabled = enabled
        } else {
            guard let read = trunk.nested("register", keys: keys, { reader -> TrunkRegistrationSettings in
                var settings = TrunkRegistrationSettings()
                settings.enabled = reader.boolean("enabled") ?? settings.enabled
                settings.expires = reader.integer("expires_s", in: expiresRange, unit: "seconds") ?? settings.expires
                if let text = reader.string("registrar") {
                    if let (host, port) = AdminSettings.splitEndpoint(text), let port,
                       let address = IPAddressLiteral(host), !address.isWildcard
                    {
                        settings.registrarHost = host
                        settings.registrarPort = port
                    } else {
                        reader.problems.report(reader.path("registrar"),
                                               "must be IP:port or [IPv6]:port (an address literal, not a wildcard), "
                                                   + "got \"\(text)\"")
                    }
                }
                settings.user = reader.string("user")
                settings.domain = reader.string("domain")
                for (key, value) in [("user", settings.user), ("domain", settings.domain)] {
                    if let value, value.isEmpty || !value.allSatisfy(Self.isURIChar) {
                        reader.problems.report(reader.path(key), "must be a SIP URI \(key) part (no spaces, '<', '>', "
                            + "'@' or quotes), got \"\(value)\"")
                    }
                }
                settings.retryMin = reader.seconds("retry_min_s", in: 1...3600) ?? settings.retryMin
                settings.retryMax = reader.seconds("retry_max_s", in: 1...86_400) ?? settings.retryMax
                if settings.retryMax < settings.retryMin {
                    reader.problems.report(reader.path("retry_max_s"), "must be at least retry_min_s "
                        + "(\(settings.retryMin.components.seconds))")
                }
                return settings
            }) else { return nil }
            settings = read
        }
        if settings.enabled, settings.user == nil, auth == nil {
            trunk.problems.report(trunk.path("register"),
                                  "needs `user` (the AOR's user part) or the trunk's `auth.username`")
        }
        return settings
    }

    static func isURIChar(_ character: Character) -> Bool {
        character.isASCII && !character.isWhitespace && !"<>@\"".contains(character)
            && (character.asciiValue ?? 0) >= 0x21
    }
}
