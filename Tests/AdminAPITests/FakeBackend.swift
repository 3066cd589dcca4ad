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
    /// Every `audit` call's arguments, in order.
    private(set) var auditQueries: [(since: Double?, limit: Int)] = []
    /// Live calls: an answered outbound call on carrier-a and a critical one still ringing on carrier-b.
    private var callList: [CallStatus] = [
        CallStatus(id: 1, callID: "call-1@platform", route: "platform-to-pstn", critical: false, state: "established",
                   from: "sip:+15550001111@192.0.2.10", to: "sip:+15551230000@10.0.0.1", ingressTrunk: "platform",
                   trunk: "carrier-a", startedAt: 1_700_000_000, answeredAt: 1_700_000_002, durationSeconds: 30,
                   carrierLegs: 1),
        CallStatus(id: 2, callID: "call-2@platform", route: "critical-lines", critical: true, state: "proceeding",
                   from: "sip:+15550001111@192.0.2.10", to: "sip:+19995550000@10.0.0.1", ingressTrunk: "platform",
                   trunk: "carrier-b", startedAt: 1_700_000_020, durationSeconds: 10, carrierLegs: 2),
    ]

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
        auditQueries.append((since, limit))
        return Array(records.filter { $0.at >= (since ?? 0) }.prefix(limit))
    }

    func certificates() -> [CertificateStatus] { certificateList }
    func nodes() -> [NodeStatus] {
        [NodeStatus(name: "sbc-test", current: true, alive: true, heartbeatAt: nil, activeCalls: 0, admin: nil,
                    version: "test", trunks: [])]
    }

    func reloadTLS(reason: String, actor: String) throws(AdminError) -> [CertificateStatus] {
        if let reloadError { throw reloadError }
        record(subject: "tls", kind: "certificate", from: nil, to: nil, reason: reason, actor: actor)
        return certificateList
    }

    func calls() -> [CallStatus] { callList }

    func call(id: String) -> CallStatus? {
        guard var call = callList.first(where: { "\($0.id)" == id || $0.callID == id }) else { return nil }
        call.legs = [CallStatus.Leg(side: "a", active: true, trunk: call.ingressTrunk, callID: call.callID,
                                    localTag: "sbc-a", remoteTag: "pltag", remoteTarget: "sip:agent@192.0.2.10",
                                    peer: "192.0.2.10:5060", transport: "udp", zone: "platform", localCSeq: 1,
                                    remoteCSeq: 1, offerAnswer: "done", codecs: [["PCMU/8000"]])]
        call.timers = CallStatus.Timers()
        return call
    }

    func hangUp(call id: String, reason: String, actor: String) throws(AdminError) -> CallStatus {
        guard !unavailable else { throw .unavailable("signalling loop busy") }
        guard let index = callList.firstIndex(where: { "\($0.id)" == id || $0.callID == id }) else {
            throw .notFound("no live call \(id)")
        }
        var call = callList.remove(at: index)
        record(subject: "call \(call.callID)", kind: "call", from: call.state, to: "ended", reason: reason, actor: actor)
        call.state = "ended"
        call.endedBy = "operator:\(actor)"
        return call
    }

    /// DID validation: carrier-b has settings, a started run is `running` until `finishValidation`.
    private var validationRuns: [String: ValidationRunStatus] = [:]

    func validate(trunk: String, reason: String, actor: String) throws(AdminError) -> ValidationRunStatus {
        guard !unavailable else { throw .unavailable("signalling loop busy") }
        guard trunkList.contains(where: { $0.name == trunk }) else { throw .notFound("no trunk named \(trunk)") }
        guard trunk == "carrier-b" else { throw .conflict("trunk \(trunk) has no validation settings") }
        if let running = validationRuns[trunk], running.state == "running" {
            throw .conflict("a validation run of trunk \(trunk) is still going (\(running.run))")
        }
        clock += 1
        let run = ValidationRunStatus(run: "val-\(Int(clock))", trunk: trunk, state: "running", passed: nil, dids: 2,
                                      actor: actor, reason: reason, startedAt: clock, finishedAt: nil, results: [])
        validationRuns[trunk] = run
        record(subject: trunk, kind: "validation", from: nil, to: "running", reason: reason, actor: actor)
        return run
    }

    func validation(trunk: String) throws(AdminError) -> ValidationRunStatus {
        guard trunkList.contains(where: { $0.name == trunk }) else { throw .notFound("no trunk named \(trunk)") }
        guard let run = validationRuns[trunk] else { throw .notFound("trunk \(trunk) has never been validated") }
        return run
    }

    func finishValidation(trunk: String, results: [ValidationResultStatus]) {
        guard var run = validationRuns[trunk] else { return }
        run.state = "finished"
        run.results = results
        run.passed = results.allSatisfy { $0.verdict == "reachable" }
        run.finishedAt = clock + 5
        validationRuns[trunk] = run
    }

    /// The running configuration (`GET /api/v1/config`) and what the next reload answers.
    private var configuration = ConfigurationStatus(generation: 1, digest: String(repeating: "a", count: 64),
                                                    loadedAt: 1_700_000_000, path: "/etc/sbc/sbc.yaml")
    private var nextReload: ConfigReloadReport?

    func setNextReload(_ report: ConfigReloadReport?) { nextReload = report }

    func configurationStatus() -> ConfigurationStatus? { configuration }

    /// Applies `nextReload` (default: one route added) and audits it like the SBC does.
    func reloadConfiguration(reason: String, actor: String) throws(AdminError) -> ConfigReloadReport {
        guard !unavailable else { throw .unavailable("signalling loop busy") }
        var report = nextReload ?? ConfigReloadReport(
            result: "applied", actor: actor, path: configuration.path, configuration: configuration,
            applied: [ConfigReloadReport.Change(section: "routes", name: "new-route", change: "added", keys: [])])
        report.actor = actor
        if !report.isRefused {
            configuration.generation += 1
            report.configuration = configuration
        }
        record(subject: "config", kind: "config", from: nil, to: report.result, reason: reason, actor: actor)
        return report
    }

    /// Activations of group `pstn` (docs/ACTIVATION.md), much simplified: versions in order, a
    /// cooling period that refuses every non-forced change while set, and a switch that queues
    /// the next change as if calls had to drain.
    private var activationVersions: [ActivationVersionStatus] = []
    private var queuedActivation: QueuedActivationStatus?
    var activationCoolingLeft = 0
    var queueNextActivation = false

    func setActivationGuards(coolingLeft: Int, queueNext: Bool) {
        activationCoolingLeft = coolingLeft
        queueNextActivation = queueNext
    }

    func activation(group: String) throws(ActivationRefusal) -> ActivationStatus {
        try activationStatus(group, outcome: nil)
    }

    func activationHistory(group: String) throws(ActivationRefusal) -> [ActivationVersionStatus] {
        _ = try activationStatus(group, outcome: nil)
        return [Self.versionZero] + activationVersions + (queuedActivation.map { [$0.version] } ?? [])
    }

    func activate(group: String, member: String, force: Bool, reason: String, actor: String)
        throws(ActivationRefusal) -> ActivationStatus
    {
        let members = try activationStatus(group, outcome: nil).order
        guard members.contains(member) else {
            throw ActivationRefusal(status: 404, error: "unknown_member", detail: "\(member) is not a member")
        }
        return try addActivation(group, member: member, rollbackOf: nil, force: force, reason: reason, actor: actor)
    }

    func rollbackActivation(group: String, to version: Int, force: Bool, reason: String, actor: String)
        throws(ActivationRefusal) -> ActivationStatus
    {
        _ = try activationStatus(group, outcome: nil)
        guard let target = ([Self.versionZero] + activationVersions).first(where: { $0.version == version }) else {
            throw ActivationRefusal(status: 404, error: "unknown_version", detail: "no version \(version)")
        }
        return try addActivation(group, member: target.firstMember, rollbackOf: version, force: force, reason: reason,
                                 actor: actor)
    }

    func cancelQueuedActivation(group: String, reason: String, actor: String) throws(ActivationRefusal) -> ActivationStatus {
        _ = try activationStatus(group, outcome: nil)
        guard queuedActivation != nil else {
            throw ActivationRefusal(status: 404, error: "nothing_queued", detail: "no activation is queued")
        }
        queuedActivation = nil
        record(subject: group, kind: "activation_cancel", from: nil, to: nil, reason: reason, actor: actor)
        return try activationStatus(group, outcome: "cancelled")
    }

    private static let versionZero = ActivationVersionStatus(
        version: 0, firstMember: "carrier-a", reason: "configuration order", actor: "config", requestedAt: 0, appliedAt: 0,
        rollbackOf: nil, forced: false, state: "applied")

    private func addActivation(_ group: String, member: String, rollbackOf: Int?, force: Bool, reason: String,
                               actor: String) throws(ActivationRefusal) -> ActivationStatus
    {
        if activationCoolingLeft > 0, !force {
            throw ActivationRefusal(status: 409, error: "cooling", detail: "cooling", coolingSecondsLeft: activationCoolingLeft)
        }
        clock += 1
        let number = activationVersions.count + (queuedActivation == nil ? 1 : 2)
        var version = ActivationVersionStatus(version: number, firstMember: member, reason: reason, actor: actor,
                                              requestedAt: clock, appliedAt: nil, rollbackOf: rollbackOf, forced: force,
                                              state: "queued")
        if queueNextActivation, !force {
            queueNextActivation = false
            queuedActivation = QueuedActivationStatus(version: version, draining: "carrier-a", activeCalls: 3, threshold: 0)
            record(subject: group, kind: "activation_queued", from: nil, to: member, reason: reason, actor: actor)
            return try activationStatus(group, outcome: "queued")
        }
        version.appliedAt = clock
        version.state = "applied"
        activationVersions.append(version)
        record(subject: group, kind: "activation", from: nil, to: member, reason: reason, actor: actor)
        return try activationStatus(group, outcome: "applied")
    }

    private func activationStatus(_ group: String, outcome: String?) throws(ActivationRefusal) -> ActivationStatus {
        guard let status = groups[group] else {
            throw ActivationRefusal(status: 404, error: "not_found", detail: "no trunk group named \(group)")
        }
        let current = activationVersions.last ?? Self.versionZero
        let order = [current.firstMember] + status.members.filter { $0 != current.firstMember }
        return ActivationStatus(group: group, outcome: outcome, current: current, queued: queuedActivation, order: order,
                                overflow: nil, coolingSeconds: 90, coolingSecondsLeft: activationCoolingLeft,
                                drainThreshold: 0)
    }

    /// Adds audit records (for the status page's timeline).
    func appendAudit(_ added: [AuditRecord]) { records += added }

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
