import AdminAPI
import B2BUA
import SBCStore

/// Turns the B2BUA's DID validation runs into state-database rows, audit entries and admin API
/// views, with wall-clock times.
struct ValidationMapping {
    let clock: WallClockAnchor

    func record(_ run: DIDValidationRun, state: ValidationRunRecord.State, finishedAt: Duration?) -> ValidationRunRecord {
        ValidationRunRecord(run: run.id, trunk: run.trunk, state: state, passed: state == .finished ? run.passed : nil,
                            dids: run.settings.dids.count, actor: run.actor, reason: run.reason,
                            startedAt: clock.wall(run.startedAt), finishedAt: finishedAt.map(clock.wall))
    }

    func record(_ result: DIDValidationRun.Result, run: String) -> ValidationResultRecord {
        let outcome = result.outcome
        return ValidationResultRecord(
            run: run, did: result.did, status: outcome.status, reason: outcome.reason,
            firstResponseMs: outcome.firstResponse.map { WallClockAnchor.seconds($0) * 1000 },
            verdict: outcome.verdict.rawValue, startedAt: clock.wall(result.startedAt), endedAt: clock.wall(result.endedAt))
    }

    /// The audit line of a run's start or end (kind `validation`, subject the trunk).
    func audit(_ run: DIDValidationRun, finishedAt: Duration?) -> AuditEntry {
        guard let finishedAt else {
            return AuditEntry(at: clock.wall(run.startedAt), subject: run.trunk, kind: "validation", toState: "running",
                              cause: "validation_started",
                              detail: "run \(run.id), \(run.settings.dids.count) DIDs: \(run.reason)", actor: run.actor)
        }
        let counts = Dictionary(grouping: run.results, by: \.outcome.verdict).mapValues(\.count)
        let summary = TestCall.Verdict.allCases.compactMap { verdict in
            counts[verdict].map { "\($0) \(verdict.rawValue)" }
        }.joined(separator: ", ")
        return AuditEntry(at: clock.wall(finishedAt), subject: run.trunk, kind: "validation", fromState: "running",
                          toState: run.passed ? "passed" : "failed",
                          cause: run.passed ? "validation_passed" : "validation_failed",
                          detail: "run \(run.id): \(summary)", actor: run.actor)
    }

    static func status(_ record: ValidationRunRecord) -> ValidationRunStatus {
        ValidationRunStatus(
            run: record.run, trunk: record.trunk, state: record.state.rawValue, passed: record.passed, dids: record.dids,
            actor: record.actor, reason: record.reason, startedAt: record.startedAt, finishedAt: record.finishedAt,
            results: record.results.map {
                ValidationResultStatus(did: $0.did, status: $0.status, reason: $0.reason,
                                       firstResponseMs: $0.firstResponseMs, verdict: $0.verdict,
                                       startedAt: $0.startedAt, endedAt: $0.endedAt)
            })
    }

    /// A restored run's standing on the loop's clock: its age is kept, not its wall time.
    func standing(_ record: ValidationRunRecord) -> ValidationStanding? {
        guard let finished = record.finishedAt, let passed = record.passed else { return nil }
        let age = max(0, clock.wallNow - finished)
        return ValidationStanding(run: record.run, finishedAt: clock.monotonicNow - .milliseconds(Int64(age * 1000)),
                                  passed: passed)
    }
}
