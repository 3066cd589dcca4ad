@testable import AdminAPI

/// An in-memory `AdminBackend` that behaves like the SBC's for the API's purposes (locks,
/// forced failover, an audit trail) and counts the actions it performed, so tests can check
/// that an idempotent replay did not act twice.
actor FakeBackend: AdminBackend {
    private var trunkList: [TrunkStatus]
    private var groups: [String: GroupStatus]
    private var records: [AuditRecord] = []
    private var clock = 1_700_000_000.0
    /// Actions performed, e.g. `lock carrier-a`.
    private(set) var actions: [String] = []
    /// When set, every write fails with `.unavailable`.
    var unavailable = false
    /// How long each write takes (to overlap concurrent requests).
    var writeDelay: Duration = .zero
    /// What `certificates()` and a successful reload return.
    private var certificateList = [
        CertificateStatus(certificate: "zone:platform", trunk: nil, subject: "CN=sbc.lab", issuer: "CN=SwiftSBC Lab CA",
                          notAfter: "2027-01-01T00:00:00Z", secondsToExpiry: 2_592_000,
                          spkiSHA256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="),
    ]
    /// When set, `reloadTLS` fails with it.
    var reloadError: AdminError?
    /// Arguments of the last `audit` call.
    private(set) var lastAuditQuery: (since: Double?, limit: Int)?

    init() {
        trunkList = [
            TrunkStatus(
                name: "carrier-a", state: "up", since: 1_700_000_000, cause: "probe_ok", selectable: true,
                lastProbeRTTMs: 12.5, counters: TrunkCounters(probesSent: 10, activeCalls: 3, callsAttempted: 40)
            ),
            TrunkStatus(name: "carrier-b", state: "down", since: 1_700_000_100, cause: "probe_timeout", detail: "3 of 3 probes lost", selectable: false),
        ]
        groups = ["pstn": GroupStatus(name: "pstn", strategy: "priority", failBack: "manual", forcedFailover: false, members: ["carrier-a", "carrier-b"])]
    }

    func setUnavailable(_ value: Bool) { unavailable = value }

    func setWriteDelay(_ value: Duration) { writeDelay = value }

    func setReloadError(_ error: AdminError?) { reloadError = error }

    func trunks() -> [TrunkStatus] { trunkList }

    func trunk(named name: String) -> TrunkStatus? {
        trunkList.first { $0.name == name }
    }

    func lock(trunk: String, reason: String, actor: String) async throws(AdminError) -> TrunkStatus {
        if writeDelay > .zero { try? await Task.sleep(for: writeDelay) }
        return try mutateTrunk(trunk, action: "lock", reason: reason, actor: actor) { status throws(AdminError) in
            guard status.lockedBy == nil else { throw .conflict("trunk \(trunk) is already locked") }
            status.lockedBy = actor
            status.lockReason = reason
            status.state = "locked"
            status.selectable = false
        }
    }

    func unlock(trunk: String, reason: String, actor: String) throws(AdminError) -> TrunkStatus {
        try mutateTrunk(trunk, action: "unlock", reason: reason, actor: actor) { status throws(AdminError) in
            guard status.lockedBy != nil else { throw .conflict("trunk \(trunk) is not locked") }
            status.lockedBy = nil
            status.lockReason = nil
            status.state = "up"
            status.selectable = true
        }
    }

    func forceFailover(group: String, reason: String, actor: String) throws(AdminError) -> GroupStatus {
        try mutateGroup(group, action: "failover", reason: reason, actor: actor) { status in status.forcedFailover = true }
    }

    func approveFailBack(group: String, reason: String, actor: String) throws(AdminError) -> GroupStatus {
        try mutateGroup(group, action: "failback", reason: reason, actor: actor) { status in status.forcedFailover = false }
    }

    func audit(since: Double?, limit: Int) throws(AdminError) -> [AuditRecord] {
        lastAuditQuery = (since, limit)
        return Array(records.filter { $0.at >= (since ?? 0) }.prefix(limit))
    }

    func certificates() -> [CertificateStatus] { certificateList }

    func reloadTLS(reason: String, actor: String) throws(AdminError) -> [CertificateStatus] {
        if let reloadError { throw reloadError }
        record(subject: "tls", kind: "certificate", from: nil, to: nil, reason: reason, actor: actor)
        return certificateList
    }

    private func mutateTrunk(
        _ name: String, action: String, reason: String, actor: String,
        _ change: (inout TrunkStatus) throws(AdminError) -> Void
    ) throws(AdminError) -> TrunkStatus {
        guard !unavailable else { throw .unavailable("signalling loop busy") }
        guard let index = trunkList.firstIndex(where: { $0.name == name }) else { throw .notFound("no trunk named \(name)") }
        let before = trunkList[index].state
        try change(&trunkList[index])
        record(subject: name, kind: action, from: before, to: trunkList[index].state, reason: reason, actor: actor)
        return trunkList[index]
    }

    private func mutateGroup(
        _ name: String, action: String, reason: String, actor: String, _ change: (inout GroupStatus) -> Void
    ) throws(AdminError) -> GroupStatus {
        guard !unavailable else { throw .unavailable("signalling loop busy") }
        guard var group = groups[name] else { throw .notFound("no trunk group named \(name)") }
        change(&group)
        groups[name] = group
        record(subject: name, kind: action, from: nil, to: nil, reason: reason, actor: actor)
        return group
    }

    private func record(subject: String, kind: String, from: String?, to: String?, reason: String, actor: String) {
        clock += 1
        actions.append("\(kind) \(subject)")
        records.append(AuditRecord(at: clock, subject: subject, kind: kind, from: from, to: to, cause: "operator", detail: reason, actor: actor))
    }
}
