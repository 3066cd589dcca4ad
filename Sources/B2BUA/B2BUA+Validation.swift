import Logging
import SBCConfig

/// DID validation (docs/VALIDATION.md): a run calls each of a trunk's `validation.dids` through
/// that trunk only, paced, with `TestCall`s; each result and the run's end are handed to the
/// driver as `ValidationEvent`s, and the last finished run of each trunk is what
/// `trunk_groups[].require_validation` is judged against (`validationRefusal`).
extension B2BUA {
    /// Why a validation run could not start.
    public enum ValidationError: Error, Sendable, Equatable {
        case unknownTrunk(String)
        /// The trunk has no `validation` settings.
        case notConfigured(String)
        /// A run of this trunk is still going (its id).
        case running(trunk: String, run: String)
        case draining
    }

    /// Starts a run of `trunk`'s DIDs; answers its id. The first DID is called at once.
    public mutating func startValidation(trunk name: String, actor: String, reason: String, now: Duration)
        throws(ValidationError) -> (run: String, outbound: [SIPOutbound])
    {
        guard let trunk = routing.trunk(named: name) else { throw .unknownTrunk(name) }
        guard let settings = trunk.validation else { throw .notConfigured(name) }
        if let running = testCalls.runs[name] { throw .running(trunk: name, run: running.id) }
        guard drainDeadline == nil else { throw .draining }
        outbox.removeAll(keepingCapacity: true)
        let run = DIDValidationRun(id: "val-" + ids.token(length: 12), trunk: name, settings: settings, actor: actor,
                                   reason: reason, now: now)
        testCalls.runs[name] = run
        testCalls.events.append(.started(run))
        logger.notice("validation started", metadata: [
            "trunk": "\(name)", "run": "\(run.id)", "dids": "\(settings.dids.count)", "actor": "\(actor)",
        ])
        advanceValidationRuns(to: now)
        return (run.id, outbox)
    }

    /// The run in progress for `trunk`, if any.
    public func validationRun(of trunk: String) -> DIDValidationRun? { testCalls.runs[trunk] }

    /// Hands over what validation runs reported since the last call.
    public mutating func takeValidationEvents() -> [ValidationEvent] {
        defer { testCalls.events.removeAll(keepingCapacity: true) }
        return testCalls.events
    }

    /// The hook for activations (`trunk_groups[].require_validation`): nil when `trunk`'s last
    /// finished run passed (every DID reachable) no more than `maxAge` ago, else why not.
    public func validationRefusal(trunk: String, maxAge: Duration, now: Duration) -> String? {
        ValidationStanding.refusal(testCalls.latest[trunk], trunk: trunk, maxAge: maxAge, now: now)
    }

    /// The last finished run of each trunk, restored from the state database after a restart.
    public mutating func restoreValidation(trunk: String, standing: ValidationStanding) {
        testCalls.latest[trunk] = standing
    }

    /// Starts every DID that is due.
    mutating func advanceValidationRuns(to now: Duration) {
        for trunkName in Array(testCalls.runs.keys) {
            while let did = testCalls.runs[trunkName]?.nextDue(now: now) {
                guard let run = testCalls.runs[trunkName] else { break }
                let settings = run.settings
                let placed = routing.trunk(named: trunkName).flatMap { trunk in
                    placeTestCall(to: did, from: settings.caller, trunk: trunk, reachable: settings.reachable,
                                  timeout: settings.timeout, purpose: .validation(run: run.id, did: did), now: now)
                }
                if placed == nil {
                    let outcome = TestCall.Outcome(status: nil, reason: "the trunk cannot place calls (see the log)",
                                                   firstResponse: nil, verdict: .error, answered: false)
                    testCallFinished(.validation(run: run.id, did: did), trunk: trunkName, startedAt: now,
                                     outcome: outcome, now: now)
                }
            }
        }
    }

    /// A test call decided: its result goes to its run, and a run whose last DID decided ends (or,
    /// for a media probe, to the trunk's health, B2BUA+MediaProbes.swift).
    mutating func testCallFinished(_ purpose: TestCallRegistry.Purpose, trunk: String, startedAt: Duration,
                                   outcome: TestCall.Outcome, now: Duration) {
        switch purpose {
        case .mediaProbe(let trunk, let settings):
            mediaProbeFinished(trunk: trunk, settings: settings, startedAt: startedAt, outcome: outcome, now: now)
        case .validation(let runID, let did):
            guard var run = testCalls.runs[trunk], run.id == runID else { return }
            let result = run.record(did: did, startedAt: startedAt, outcome: outcome, now: now)
            testCalls.events.append(.result(run: runID, trunk: trunk, result))
            guard run.isFinished else {
                testCalls.runs[trunk] = run
                return
            }
            testCalls.runs[trunk] = nil
            testCalls.latest[trunk] = ValidationStanding(run: runID, finishedAt: now, passed: run.passed)
            testCalls.events.append(.finished(run, at: now))
            logger.notice("validation finished", metadata: [
                "trunk": "\(trunk)", "run": "\(runID)", "passed": "\(run.passed)",
                "reachable": "\(run.results.filter { $0.outcome.verdict == .reachable }.count)/\(run.results.count)",
            ])
        }
    }
}
