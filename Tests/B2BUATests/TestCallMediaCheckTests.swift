import SBCConfig
import Testing
@testable import B2BUA

/// The media check of a test call (media-path probes, docs/HEALTH.md) with a manual clock: the
/// 2xx is ACKed and the dialog kept up, the driver's report or the check's time decides, then BYE;
/// and how `MediaProbeResult` judges the outcome.
struct TestCallMediaCheckTests {
    let start: Duration = .seconds(100)
    static let settings = MediaProbeSettings(number: "+15550009999", caller: "+15550000", answerTimeout: .seconds(5),
                                             timeout: .milliseconds(1500), packets: 5, minReceived: 2)

    func outcome(_ actions: [TestCall.Action]) -> TestCall.Outcome? {
        for case .finished(let outcome) in actions { return outcome }
        return nil
    }

    func answered() -> TestCall {
        var call = TestCall(reachable: .answered, timeout: .seconds(5), now: start, mediaCheck: .milliseconds(1500))
        #expect(call.response(status: 180, reason: "Ringing", now: start + .milliseconds(100)).isEmpty)
        #expect(call.response(status: 200, reason: "OK", now: start + .milliseconds(400)) == [.acknowledge],
                "ACK only: the dialog stays up for the media check")
        #expect(call.outcome == nil)
        #expect(call.deadline == start + .milliseconds(400) + .milliseconds(1500) + TestCall.mediaReportGrace)
        return call
    }

    @Test func reportEndsTheCallWithTheObservation() {
        var call = answered()
        let seen = MediaProbeObservation(sent: 5, received: 5, echoed: 5, firstReturn: .milliseconds(3))
        let actions = call.mediaChecked(seen, now: start + .milliseconds(500))
        #expect(actions.first == .hangUp)
        let decided = outcome(actions)
        #expect(decided?.verdict == .reachable && decided?.answered == true && decided?.media == seen)
        #expect(decided?.firstResponse == .milliseconds(100))
        #expect(call.mediaChecked(seen, now: start + .seconds(1)).isEmpty, "decided once")
        #expect(call.timedOut(now: call.deadline).isEmpty)
    }

    @Test func missingReportHangsUpAtTheDeadline() {
        var call = answered()
        let actions = call.timedOut(now: call.deadline)
        #expect(actions.first == .hangUp)
        #expect(outcome(actions)?.answered == true && outcome(actions)?.media == nil)
    }

    @Test func anotherForksAnswerDuringTheCheckIsHungUp() {
        var call = answered()
        #expect(call.response(status: 200, reason: "OK", now: start + .milliseconds(450)) == [.acknowledgeAndHangUp])
        #expect(call.outcome == nil, "the check goes on")
    }

    @Test func unansweredProbeDecidesWithoutACheck() {
        var refused = TestCall(reachable: .answered, timeout: .seconds(5), now: start, mediaCheck: .seconds(2))
        #expect(outcome(refused.response(status: 503, reason: "Service Unavailable", now: start))?.verdict == .unreachable)
        var silent = TestCall(reachable: .answered, timeout: .seconds(5), now: start, mediaCheck: .seconds(2))
        #expect(silent.mediaChecked(MediaProbeObservation(sent: 1, received: 1), now: start).isEmpty)
        #expect(outcome(silent.timedOut(now: start + .seconds(5)))?.verdict == .timeout)
    }

    @Test func plainTestCallsStillHangUpAtOnce() {
        var call = TestCall(reachable: .answered, timeout: .seconds(5), now: start)
        #expect(call.response(status: 200, reason: "OK", now: start).first == .acknowledgeAndHangUp)
    }

    // MARK: Judging

    func judged(answered: Bool = true, verdict: TestCall.Verdict = .reachable, status: Int? = 200,
                reason: String = "OK", media: MediaProbeObservation?) -> (MediaProbeResult, String) {
        MediaProbeResult.judge(TestCall.Outcome(status: status, reason: reason, firstResponse: nil, verdict: verdict,
                                                answered: answered, media: media), settings: Self.settings)
    }

    @Test func judging() {
        let passed = judged(media: MediaProbeObservation(sent: 5, received: 4, echoed: 4, firstReturn: .milliseconds(12)))
        #expect(passed.0 == .passed && passed.1 == "4 of 5 RTP packets came back, the first after 12 ms")
        let foreign = judged(media: MediaProbeObservation(sent: 5, received: 2, echoed: 0))
        #expect(foreign.0 == .passed && foreign.1.contains("not our own SSRC"))
        let lossy = judged(media: MediaProbeObservation(sent: 5, received: 1, echoed: 1))
        #expect(lossy.0 == .noMedia && lossy.1 == "answered, but 1 of 5 RTP packets came back within 1500 ms (2 needed)")
        let dead = judged(media: MediaProbeObservation(sent: 5, received: 0, icmpError: "ICMP: Connection refused"))
        #expect(dead.0 == .noMedia && dead.1.hasSuffix("; ICMP: Connection refused"))
        let noSDP = judged(media: MediaProbeObservation(sent: 0, received: 0, answerProblem: "the answer carried no SDP"))
        #expect(noSDP == (.noMedia, "answered, but the answer carried no SDP"))
        #expect(judged(media: MediaProbeObservation(sent: 0, received: 0, localFailure: "bind: in use")).0 == .skipped)
        #expect(judged(media: nil).0 == .skipped)
        let refused = judged(answered: false, verdict: .unreachable, status: 486, reason: "Busy Here", media: nil)
        #expect(refused == (.callFailed, "probe call to +15550009999 refused: 486 Busy Here"))
        let silent = judged(answered: false, verdict: .timeout, status: nil, reason: "no response", media: nil)
        #expect(silent == (.callFailed, "probe call to +15550009999 not answered within 5 s (no response)"))
        #expect(MediaProbeResult.callFailed.isFailure && MediaProbeResult.noMedia.isFailure)
        #expect(!MediaProbeResult.passed.isFailure && !MediaProbeResult.skipped.isFailure)
    }

    @Test func probePackets() {
        let request = MediaProbeRequest(id: 1, trunk: "t", local: .init(host: "10.0.1.1", port: 30000),
                                        remote: .init(host: "198.51.100.11", port: 5000), payloadType: 8,
                                        ssrc: 0x1234_5678, packets: 3, spacing: .milliseconds(20), window: .seconds(1))
        let first = request.packet(0), second = request.packet(1)
        #expect(first.count == 12 + 160 && first[0] == 0x80 && first[1] == 0x80 | 8, "version 2, marker, PCMA")
        #expect(second[1] == 8 && first[8...11] == [0x12, 0x34, 0x56, 0x78])
        let sequence = { (p: [UInt8]) in UInt16(p[2]) << 8 | UInt16(p[3]) }
        #expect(sequence(second) == sequence(first) &+ 1)
        #expect(first[12...].allSatisfy { $0 == 0xD5 }, "A-law silence")
    }
}
