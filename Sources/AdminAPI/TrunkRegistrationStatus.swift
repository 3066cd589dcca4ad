/// A registration trunk's REGISTER binding as the admin API shows it (`trunks[].register`,
/// docs/AUTH.md). Times are unix seconds, like the rest of ``TrunkStatus``.
public struct TrunkRegistrationStatus: Codable, Sendable, Equatable {
    /// `registering`, `registered`, `failed`, `unregistering`, `stopped` (or `idle`).
    public var state: String
    /// Whether a binding is believed to exist at the registrar now.
    public var registered: Bool
    /// The registrar, `IP:port`.
    public var registrar: String
    /// The granted binding's end (unix seconds), while registered.
    public var expiresAt: Double?
    /// When the next REGISTER goes out: the refresh, or the retry after a failure (unix seconds).
    public var nextAttemptAt: Double?
    /// Final status of the last REGISTER; nil for a timeout or transport error.
    public var lastStatus: Int?
    /// What happened last, in words (`registered for 3600 s (200 OK)`, `REGISTER answered 403 Forbidden`).
    public var detail: String
    /// Failed REGISTERs in a row.
    public var failures: Int

    public init(state: String, registered: Bool, registrar: String, expiresAt: Double? = nil,
                nextAttemptAt: Double? = nil, lastStatus: Int? = nil, detail: String, failures: Int) {
        self.state = state
        self.registered = registered
        self.registrar = registrar
        self.expiresAt = expiresAt
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.detail = detail
        self.failures = failures
    }
}
