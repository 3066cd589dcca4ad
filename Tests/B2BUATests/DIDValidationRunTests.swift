import SBCConfig
import Testing
@testable import B2BUA

/// Pacing and the pass rule of a DID validation run.
struct DIDValidationRunTests {
    static func outcome(_ verdict: TestCall.Verdict) -> TestCall.Outcome {
        TestCall.Outcome(status: nil, reason: "", firstResponse: nil, verdict: verdict, answered: false)
    }

    @Test func startsOneDIDPerPace() {
        let settings = TrunkValidationSettings(dids: ["+1", "+2", "+3"], caller: "+10", pace: .milliseconds(500))
        var run = DIDValidationRun(id: "val-1", trunk: "b", settings: settings, actor: "ops", reason: "r", now: .seconds(10))
        #expect(run.nextDue(now: .seconds(10)) == "+1")
        #expect(run.nextDue(now: .seconds(10)) == nil)
        #expect(run.nextStart == .seconds(10) + .milliseconds(500))
        #expect(run.nextDue(now: .seconds(10) + .milliseconds(499)) == nil)
        #expect(run.nextDue(now: .seconds(10) + .milliseconds(500)) == "+2")
        // A late wake-up does not bunch the rest together.
        #expect(run.nextDue(now: .seconds(20)) == "+3")
        #expect(run.nextStart == nil && !run.isFinished)
        for did in ["+1", "+2"] { _ = run.record(did: did, startedAt: .seconds(10), outcome: Self.outcome(.reachable), now: .seconds(20)) }
        #expect(!run.isFinished)
        _ = run.record(did: "+3", startedAt: .seconds(20), outcome: Self.outcome(.reachable), now: .seconds(21))
        #expect(run.isFinished && run.passed && run.results.map(\.did) == ["+1", "+2", "+3"])
    }

    @Test func passesOnlyWhenEveryDIDIsReachable() {
        #expect(DIDValidationRun.passes([.reachable, .reachable]))
        #expect(!DIDValidationRun.passes([.reachable, .timeout]))
        #expect(!DIDValidationRun.passes([.unreachable]))
        #expect(!DIDValidationRun.passes([.error]))
        #expect(!DIDValidationRun.passes([]))
    }

    @Test func standingRefusesMissingFailedAndStaleRuns() {
        let hour: Duration = .seconds(3600)
        #expect(ValidationStanding.refusal(nil, trunk: "b", maxAge: hour, now: .seconds(10))?.contains("never") == true)
        let failed = ValidationStanding(run: "val-1", finishedAt: .seconds(10), passed: false)
        #expect(ValidationStanding.refusal(failed, trunk: "b", maxAge: hour, now: .seconds(20))?.contains("did not pass") == true)
        let passed = ValidationStanding(run: "val-2", finishedAt: .seconds(10), passed: true)
        #expect(ValidationStanding.refusal(passed, trunk: "b", maxAge: hour, now: .seconds(3610)) == nil)
        #expect(ValidationStanding.refusal(passed, trunk: "b", maxAge: hour, now: .seconds(3611))?.contains("3601 s old") == true)
    }
}
