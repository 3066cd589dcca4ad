import AdminAPI
import B2BUA
import SBCStore

/// DID validation for the admin API, and its persistence (docs/VALIDATION.md). Runs on the loop
/// thread only (see `AdminBridge`).
extension SignallingServer {
    /// Starts a run; its test calls go out now (the first DID) and on the B2BUA's timer.
    func startValidation(trunk: String, reason: String, actor: String) -> Result<ValidationRunStatus, AdminError> {
        let started: (run: String, outbound: [SIPOutbound])
        do {
            started = try b2bua.startValidation(trunk: trunk, actor: actor, reason: reason, now: now)
        } catch {
            switch error {
            case .unknownTrunk(let name): return .failure(.notFound("no trunk named \(name)"))
            case .notConfigured(let name):
                // 409, not 422: the request is fine, the trunk's configuration does not allow it.
                return .failure(.conflict("trunk \(name) has no validation settings (trunks[].validation)"))
            case .running(let name, let run):
                return .failure(.conflict("a validation run of trunk \(name) is still going (\(run))"))
            case .draining: return .failure(.unavailable("the SBC is shutting down"))
            }
        }
        // The run's row is queued by emit (the .started event), before this answer is read.
        let mapping = ValidationMapping(clock: WallClockAnchor(monotonicNow: now))
        let status = b2bua.validationRun(of: trunk).map { ValidationMapping.status(mapping.record($0, state: .running, finishedAt: nil)) }
        emit(started.outbound)
        return status.map { .success($0) }
            ?? .failure(.notFound("validation run \(started.run) of trunk \(trunk) ended at once"))
    }

    /// Persists, audits and counts what validation runs reported (from `emit`).
    func recordValidationEvents() {
        let events = b2bua.takeValidationEvents()
        guard !events.isEmpty else { return }
        let mapping = ValidationMapping(clock: WallClockAnchor(monotonicNow: now))
        for event in events {
            switch event {
            case .started(let run):
                operationalState.save(mapping.record(run, state: .running, finishedAt: nil))
                operationalState.append(mapping.audit(run, finishedAt: nil))
            case .result(let run, let trunk, let result):
                operationalState.append(mapping.record(result, run: run))
                metrics.validationCall(trunk: trunk, verdict: result.outcome.verdict.rawValue)
            case .finished(let run, let at):
                operationalState.save(mapping.record(run, state: .finished, finishedAt: at))
                operationalState.append(mapping.audit(run, finishedAt: at))
            }
        }
    }

    /// At start-up: runs a stopped process left `running` are marked interrupted, and each
    /// trunk's last finished run is what `require_validation` is judged against again.
    func restoreValidations() {
        operationalState.interruptValidationRuns()
        let mapping = ValidationMapping(clock: WallClockAnchor(monotonicNow: now))
        do {
            for record in try operationalState.latestFinishedValidations() {
                if let standing = mapping.standing(record) { b2bua.restoreValidation(trunk: record.trunk, standing: standing) }
            }
        } catch {
            logger.error("validation runs unreadable", metadata: ["error": "\(error)"])
        }
    }

    /// The activation hook (`trunk_groups[].require_validation`): nil when member `trunk` of
    /// `group` may take traffic first, else why not (answered as 409 `validation_required`).
    /// Nil for a group without the key, and for names that are not a member (the activation
    /// refuses those itself).
    func validationRefusal(trunk: String, group: String) -> String? {
        guard let settings = configuration.trunkGroup(named: group), let maxAge = settings.requireValidation,
              settings.members.contains(trunk)
        else { return nil }
        return b2bua.validationRefusal(trunk: trunk, maxAge: maxAge, now: now)
    }
}
