import SBCConfig
import SIPCore
import Testing
@testable import SBCServer

/// Admission of new calls on a manual clock (docs/OVERLOAD.md).
@Suite struct AdmissionControlTests {
    static let start: Duration = .seconds(100)

    @Test("the calls-per-second ceiling admits max_cps a second after its burst")
    func ceiling() {
        var admission = AdmissionControl(settings: OverloadSettings(maxCallsPerSecond: 100, burst: 10), now: Self.start)
        var admitted = 0
        var refused = 0
        // 300 calls offered evenly over one second: 10 of burst + 100 of rate.
        for i in 0..<300 {
            let now = Self.start + .microseconds(i * 3333)
            switch admission.admitNewCall(now: now) {
            case .admit: admitted += 1
            case .refuse(let reason):
                refused += 1
                #expect(reason == .callsPerSecond)
            }
        }
        #expect((105...112).contains(admitted), "admitted \(admitted)")
        #expect(admitted + refused == 300)
    }

    @Test("no ceiling and no load: everything is admitted; disabled admits even when overloaded")
    func unlimited() {
        var admission = AdmissionControl(settings: OverloadSettings(), now: Self.start)
        for i in 0..<10_000 {
            let decision = admission.admitNewCall(socket: "platform", waited: .milliseconds(5),
                                                  now: Self.start + .microseconds(i))
            #expect(decision == .admit)
        }
        var off = AdmissionControl(settings: OverloadSettings(enabled: false, maxCallsPerSecond: 1), now: Self.start)
        off.sampleLag(.seconds(1), now: Self.start)
        for _ in 0..<10 {
            let decision = off.admitNewCall(socket: "platform", waited: .seconds(2), now: Self.start)
            #expect(decision == .admit)
        }
    }

    @Test("an INVITE that waited longer than the threshold is refused, one that did not is taken, whatever the loop did")
    func ownWait() {
        let settings = OverloadSettings(lagThreshold: .milliseconds(40), hold: .milliseconds(500))
        var admission = AdmissionControl(settings: settings, now: Self.start)
        let late = admission.admitNewCall(socket: "platform", waited: .milliseconds(41), now: Self.start)
        #expect(late == .refuse(.loopLag))
        let held = admission.isOverloaded(now: Self.start + .milliseconds(499))
        #expect(held, "overloaded for the hold")
        // In the same hold, an INVITE that did not wait is taken: its own wait is the measure.
        let prompt = admission.admitNewCall(socket: "platform", waited: .milliseconds(39), now: Self.start + .milliseconds(1))
        #expect(prompt == .admit)
        // A late loop timer does not refuse a UDP INVITE that shows it was read in time...
        admission.sampleLag(.milliseconds(200), now: Self.start + .milliseconds(2))
        let udp = admission.admitNewCall(socket: "platform", waited: .milliseconds(3), now: Self.start + .milliseconds(3))
        #expect(udp == .admit)
        // One stall (a reload, a memory trim) makes every timer due during it late at once; the
        // loop is current again after it, and an INVITE without a receive time (TCP, TLS) is taken...
        admission.sampleLag(.milliseconds(150), now: Self.start + .milliseconds(2))
        let afterStall = admission.admitNewCall(socket: "platform", waited: nil, now: Self.start + .milliseconds(3))
        #expect(afterStall == .admit)
        // ...a timer scheduled after the stall and late again is a backlog: refused for the hold.
        admission.sampleLag(.milliseconds(200), now: Self.start + .milliseconds(212))
        let stream = admission.admitNewCall(socket: "platform", waited: nil, now: Self.start + .milliseconds(212))
        #expect(stream == .refuse(.loopLag))
        let streamLater = admission.admitNewCall(socket: "platform", waited: nil, now: Self.start + .milliseconds(713))
        #expect(streamLater == .admit, "the hold after the late timer is over")
        let over = admission.isOverloaded(now: Self.start + .seconds(2))
        #expect(!over)
    }

    @Test("a storm settles where what is taken waited less than the threshold: goodput is the capacity, not a fraction of it")
    func stormSettles() {
        // A loop that handles 1,000 calls a second, each INVITE taken costing 1 ms and each
        // refusal 20 us, offered 3,000 a second for 5 s (a FIFO queue with kernel arrival times).
        let settings = OverloadSettings(lagThreshold: .milliseconds(40))
        var admission = AdmissionControl(settings: settings, now: .zero)
        let offered = 15_000
        var clock: Duration = .zero
        var admitted = 0
        var maxWaitTaken: Duration = .zero
        for i in 0..<offered {
            let arrival = Duration.microseconds(i * 333)
            clock = max(clock, arrival)
            let waited = clock - arrival
            switch admission.admitNewCall(socket: "platform", waited: waited, now: clock) {
            case .admit:
                admitted += 1
                maxWaitTaken = max(maxWaitTaken, waited)
                clock += .milliseconds(1)
            case .refuse(let reason):
                #expect(reason == .loopLag)
                clock += .microseconds(20)
            }
        }
        let perSecond = Double(admitted) / 5
        #expect(perSecond > 900 && perSecond <= 1_000, "admitted \(perSecond)/s of a 1,000/s capacity")
        #expect(maxWaitTaken <= .milliseconds(40), "every call taken was handled in time: \(maxWaitTaken)")
    }

    @Test("another socket whose oldest datagram waited too long refuses new calls until its next drain")
    func otherSocketBehind() {
        var admission = AdmissionControl(settings: OverloadSettings(lagThreshold: .milliseconds(40)), now: Self.start)
        admission.sampleDrain(socket: "carrier", oldestWait: .milliseconds(90), queuedBytes: 0, bufferBytes: 8000,
                              now: Self.start)
        let behind = admission.admitNewCall(socket: "platform", waited: .milliseconds(1), now: Self.start)
        #expect(behind == .refuse(.loopLag))
        // The platform socket's own drain state does not count against its own INVITEs.
        admission.sampleDrain(socket: "carrier", oldestWait: .milliseconds(2), queuedBytes: 0, bufferBytes: 8000,
                              now: Self.start + .milliseconds(5))
        admission.sampleDrain(socket: "platform", oldestWait: .milliseconds(90), queuedBytes: 0, bufferBytes: 8000,
                              now: Self.start + .milliseconds(5))
        let caughtUp = admission.admitNewCall(socket: "platform", waited: .milliseconds(1), now: Self.start + .milliseconds(6))
        #expect(caughtUp == .admit)
    }

    @Test("a socket that went quiet after a late drain stops counting once the hold is over")
    func quietSocketExpires() {
        let settings = OverloadSettings(lagThreshold: .milliseconds(40), hold: .milliseconds(500))
        var admission = AdmissionControl(settings: settings, now: Self.start)
        admission.sampleDrain(socket: "carrier", oldestWait: .milliseconds(300), queuedBytes: 0, bufferBytes: 8000,
                              now: Self.start)
        let within = admission.admitNewCall(socket: "platform", waited: .milliseconds(1), now: Self.start + .milliseconds(500))
        #expect(within == .refuse(.loopLag))
        let after = admission.admitNewCall(socket: "platform", waited: .milliseconds(1), now: Self.start + .milliseconds(501))
        #expect(after == .admit, "the carrier socket has said nothing for longer than the hold")
    }

    @Test("a receive queue filled past its threshold refuses new calls and is overload, until a drain leaves it below")
    func queue() {
        var admission = AdmissionControl(settings: OverloadSettings(queueThresholdPercent: 25), now: Self.start)
        admission.sampleDrain(socket: "platform", oldestWait: nil, queuedBytes: 1000, bufferBytes: 8000, now: Self.start)
        let below = admission.isOverloaded(now: Self.start)
        #expect(!below)
        admission.sampleDrain(socket: "platform", oldestWait: nil, queuedBytes: 3000, bufferBytes: 8000, now: Self.start)
        let above = admission.isOverloaded(now: Self.start)
        #expect(above)
        #expect(admission.load == .overloaded(cause: .receiveQueue, until: Self.start + OverloadSettings.defaultHold))
        let full = admission.admitNewCall(socket: "platform", waited: .zero, now: Self.start)
        #expect(full == .refuse(.receiveQueue))
        admission.sampleDrain(socket: "platform", oldestWait: nil, queuedBytes: 100, bufferBytes: 8000,
                              now: Self.start + .milliseconds(1))
        let drained = admission.admitNewCall(socket: "platform", waited: .zero, now: Self.start + .milliseconds(1))
        #expect(drained == .admit)
    }

    @Test("the 503 is built from the INVITE's bytes: every Via in order, From, To with a tag, Call-ID, CSeq")
    func statelessRefusal() throws {
        let invite = "INVITE sip:+15551230000@127.0.83.1:5060 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.83.10:5060;branch=z9hG4bK-1\r\n"
            + "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-0\r\n"
            + "From: sipp <sip:sipp@127.0.83.10:5060>;tag=1\r\n"
            + "t: <sip:+15551230000@127.0.83.1>\r\n"
            + "Call-ID: abc@127.0.83.10\r\n"
            + "CSeq: 1\r\n INVITE\r\n"
            + "Contact: <sip:sipp@127.0.83.10:5060>\r\n"
            + "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
        var refusal = StatelessRefusal(tagPrefix: Array("ovl".utf8), retryAfter: 2, server: "SwiftSBC", tagSeed: 0xABCDEF01)
        let built = refusal.response(to: Array(invite.utf8), .loopLag)
        let bytes = try #require(built)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 127.0.83.10:5060;branch=z9hG4bK-1\r\nv: SIP/2.0/UDP 10.0.0.1"))
        #expect(text.contains("t: <sip:+15551230000@127.0.83.1>;tag=ovlabcdef01\r\n"))
        #expect(text.contains("CSeq: 1\r\n INVITE\r\n"), "a folded header is copied whole")
        #expect(text.contains("Retry-After: 2\r\n") && text.contains("Server: SwiftSBC\r\n"))
        #expect(text.hasSuffix("Content-Length: 0\r\n\r\n") && !text.contains("Contact"))
        let parsed = try SIPMessage(parsing: bytes)
        #expect(parsed.statusCode == 503)
        #expect(parsed.callID == "abc@127.0.83.10")
        #expect(parsed.to?.tag == "ovlabcdef01")
        #expect(parsed.headers.filter { $0.name == .via }.count == 2)
        #expect(StatelessRefusal.callID(of: Array(invite.utf8)) == "abc@127.0.83.10", "for the debug log line")
        #expect(SIPRequestPeek.isAck(Array("ACK sip:x SIP/2.0\r\nTo: <sip:x>;tag=ovlabcdef01\r\n\r\n".utf8),
                                     toTagPrefix: refusal.tagPrefix))
        // The next refusal gets another tag; no Retry-After or Server when configured so.
        var bare = StatelessRefusal(tagPrefix: Array("ovl".utf8), retryAfter: 0, server: nil, tagSeed: 7)
        let firstBytes = bare.response(to: Array(invite.utf8), .callsPerSecond)
        let secondBytes = bare.response(to: Array(invite.utf8), .callsPerSecond)
        let first = String(decoding: try #require(firstBytes), as: UTF8.self)
        let second = String(decoding: try #require(secondBytes), as: UTF8.self)
        #expect(first.contains(";tag=ovl00000007\r\n") && second.contains(";tag=ovl00000008\r\n"))
        #expect(!first.contains("Retry-After") && !first.contains("Server:"))
        // What cannot be answered that way is left to the parser: a response, a request without CSeq.
        let toResponse = bare.response(to: Array("SIP/2.0 200 OK\r\nVia: x\r\n\r\n".utf8), .loopLag)
        #expect(toResponse == nil)
        let noCSeq = "INVITE sip:x@127.0.83.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.83.10;branch=z9hG4bK-2\r\n"
            + "From: <sip:a@127.0.83.10>;tag=2\r\nTo: <sip:x@127.0.83.1>\r\nCall-ID: def\r\n\r\n"
        let withoutCSeq = bare.response(to: Array(noCSeq.utf8), .loopLag)
        #expect(withoutCSeq == nil)
    }
}

/// The per-source rate limit for strangers (security.rate_limit), on a manual clock.
@Suite struct SourceRateLimiterTests {
    @Test("a source over its rate is blocked for block_s, then metered afresh; others are not affected")
    func blocking() {
        let start: Duration = .seconds(50)
        var limiter = SourceRateLimiter<String>(
            settings: RateLimitSettings(requestsPerSecond: 10, burst: 5, blockDuration: .seconds(60)), now: start)
        for _ in 0..<5 { let r10 = limiter.admit("203.0.113.9", now: start); #expect(r10 == .allow) }
        let r11 = limiter.admit("203.0.113.9", now: start)
        #expect(r11 == .drop(newlyBlocked: true))
        let r12 = limiter.admit("203.0.113.9", now: start + .seconds(1))
        #expect(r12 == .drop(newlyBlocked: false))
        let r13 = limiter.admit("203.0.113.10", now: start + .seconds(1))
        #expect(r13 == .allow)
        #expect(limiter.blockedCount(now: start + .seconds(1)) == 1)
        let r14 = limiter.admit("203.0.113.9", now: start + .seconds(61))
        #expect(r14 == .allow, "the block expired")
        #expect(limiter.blockedCount(now: start + .seconds(61)) == 0)
    }

    @Test("steady traffic under the rate is never blocked; idle sources are forgotten; the table is bounded")
    func steadyAndBounded() {
        let start: Duration = .seconds(0)
        var limiter = SourceRateLimiter<Int>(settings: RateLimitSettings(requestsPerSecond: 10, burst: 2, blockDuration: .seconds(5)),
                                             capacity: 100, now: start)
        for i in 0..<100 { let r15 = limiter.admit(1, now: start + .milliseconds(i * 110)); #expect(r15 == .allow) }
        for source in 2...200 { _ = limiter.admit(source, now: start + .seconds(11)) }
        #expect(limiter.entries.count <= 100)
        let r16 = limiter.admit(5000, now: start + .seconds(11))
        #expect(r16 == .drop(newlyBlocked: false), "table full: refused")
        limiter.prune(now: start + .seconds(20))
        #expect(limiter.entries.isEmpty, "idle buckets refilled and were forgotten")
        var off = SourceRateLimiter<Int>(settings: RateLimitSettings(requestsPerSecond: 0), now: start)
        for _ in 0..<1000 { let r17 = off.admit(1, now: start); #expect(r17 == .allow) }
    }
}
