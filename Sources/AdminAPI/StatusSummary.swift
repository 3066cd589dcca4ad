/// Everything the status page shows, in one answer (`GET /api/v1/status`, scope `status:read`).
///
/// Why one endpoint rather than the page calling the trunk, call, audit and certificate
/// endpoints itself: a wall display needs a token that can read the dashboard and nothing else
/// (no call identities, no full audit trail, no writes), and one request per refresh keeps a
/// screen left open all week cheap.
public struct StatusSummary: Codable, Sendable, Equatable {
    /// When the SBC built this answer (unix seconds).
    public var generatedAt: Double
    /// When this SBC process started: the page draws no trunk state before it that no audit
    /// record vouches for.
    public var startedAt: Double
    public var trunks: [TrunkStatus]
    /// Live calls in total, and per trunk (a call counts on its caller's trunk and on the trunk
    /// of its active carrier leg).
    public var activeCalls: Int
    public var callsPerTrunk: [String: Int]
    /// Trunk state changes and group actions from the audit log since `timelineSince` (24 hours
    /// ago), oldest first; `timelineTruncated` when there were more than the page shows (the
    /// newest are kept).
    public var timeline: [AuditRecord]
    public var timelineSince: Double
    public var timelineTruncated: Bool
    /// Failovers, mid-call failovers and media timeouts per minute, oldest first, ending with
    /// the current minute.
    public var activity: [ActivityMinute]
    /// Watched TLS certificates, soonest expiry first (empty without TLS).
    public var certificates: [CertificateStatus]

    public init(generatedAt: Double, startedAt: Double, trunks: [TrunkStatus], activeCalls: Int, callsPerTrunk: [String: Int],
                timeline: [AuditRecord], timelineSince: Double, timelineTruncated: Bool, activity: [ActivityMinute],
                certificates: [CertificateStatus]) {
        self.generatedAt = generatedAt
        self.startedAt = startedAt
        self.trunks = trunks
        self.activeCalls = activeCalls
        self.callsPerTrunk = callsPerTrunk
        self.timeline = timeline
        self.timelineSince = timelineSince
        self.timelineTruncated = timelineTruncated
        self.activity = activity
        self.certificates = certificates
    }
}
