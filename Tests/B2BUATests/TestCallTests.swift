import Testing
@testable import B2BUA

/// The sans-IO test call machine (DID validation) with a manual clock: which responses decide
/// it, what is sent next, and the verdict.
struct TestCallTests {
    let start: Duration = .seconds(100)

    func outcome(_ actions: [TestCall.Action]) -> TestCall.Outcome? {
        for case .finished(let outcome) in actions { return outcome }
        return nil
    }

    @Test func ringingIsReachableAndCancelled() {
        var call = TestCall(reachable: .ringing, timeout: .seconds(10), now: start)
        #expect(call.response(status: 100, reason: "Trying", now: start + .milliseconds(5)).isEmpty)
        #expect(call.response(status: 180, reason: "Ringing", now: start + .milliseconds(250)) == [.cancel])
        let actions = call.response(status: 487, reason: "Request Terminated", now: start + .milliseconds(300))
        let decided = outcome(actions)
        #expect(decided?.verdict == .reachable && decided?.status == 180 && decided?.answered == false)
        #expect(decided?.firstResponse == .milliseconds(250))  // 100 Trying is not a first response
        #expect(call.timedOut(now: start + .seconds(10)).isEmpty)
    }

    @Test func answerIsAcknowledgedAndHungUp() {
        var call = TestCall(reachable: .answered, timeout: .seconds(10), now: start)
        #expect(call.response(status: 180, reason: "Ringing", now: start + .milliseconds(100)).isEmpty)
        let actions = call.response(status: 200, reason: "OK", now: start + .milliseconds(900))
        #expect(actions.first == .acknowledgeAndHangUp)
        #expect(outcome(actions) == TestCall.Outcome(status: 200, reason: "OK", firstResponse: .milliseconds(100),
                                                     verdict: .reachable, answered: true))
        // A retransmitted 2xx after the decision is ACKed again.
        #expect(call.response(status: 200, reason: "OK", now: start + .seconds(1)) == [.acknowledgeAndHangUp])
    }

    @Test func refusalIsUnreachable() {
        var call = TestCall(reachable: .ringing, timeout: .seconds(10), now: start)
        let decided = outcome(call.response(status: 404, reason: "Not Found", now: start + .milliseconds(40)))
        #expect(decided?.verdict == .unreachable && decided?.status == 404 && decided?.reason == "Not Found")
        #expect(decided?.firstResponse == .milliseconds(40))
    }

    @Test func silenceTimesOutWithoutCancel() {
        var call = TestCall(reachable: .ringing, timeout: .seconds(5), now: start)
        #expect(call.deadline == start + .seconds(5))
        let actions = call.timedOut(now: start + .seconds(5))
        #expect(actions.first == .abandon)
        #expect(outcome(actions)?.verdict == .timeout && outcome(actions)?.status == nil)
    }

    @Test func ringingWithoutAnswerTimesOutAndIsCancelled() {
        var call = TestCall(reachable: .answered, timeout: .seconds(5), now: start)
        _ = call.response(status: 183, reason: "Session Progress", now: start + .seconds(1))
        #expect(call.timedOut(now: start + .seconds(5)) == [.cancel])
        let decided = outcome(call.response(status: 487, reason: "Request Terminated", now: start + .seconds(5)))
        #expect(decided?.verdict == .timeout && decided?.status == 183)
    }

    @Test func answerCrossingTheCancelIsHungUpAndKeepsTheVerdict() {
        var call = TestCall(reachable: .ringing, timeout: .seconds(10), now: start)
        _ = call.response(status: 180, reason: "Ringing", now: start + .milliseconds(10))
        let actions = call.response(status: 200, reason: "OK", now: start + .milliseconds(20))
        #expect(actions.first == .acknowledgeAndHangUp)
        #expect(outcome(actions)?.verdict == .reachable && outcome(actions)?.status == 180 && outcome(actions)?.answered == true)
    }

    @Test func unansweredChallengeAndTransportFailureAreErrors() {
        var challenged = TestCall(reachable: .ringing, timeout: .seconds(10), now: start)
        #expect(outcome(challenged.response(status: 407, reason: "Proxy Authentication Required (authentication failed: no credentials)",
                                            now: start))?.verdict == .error)
        var broken = TestCall(reachable: .ringing, timeout: .seconds(10), now: start)
        #expect(outcome(broken.failed(reason: "503 transport error", now: start))?.verdict == .error)
    }
}

extension TestCallTests {
    @Test func cancelledCallStopsWaitingAfterCancelWait() {
        var call = TestCall(reachable: .ringing, timeout: .seconds(10), now: start)
        #expect(call.response(status: 180, reason: "Ringing", now: start + .seconds(1)) == [.cancel])
        #expect(call.deadline == start + .seconds(1) + TestCall.cancelWait)
        let actions = call.timedOut(now: call.deadline)
        #expect(actions.first == .abandon)
        #expect(outcome(actions)?.verdict == .reachable && outcome(actions)?.status == 180)
    }
}
