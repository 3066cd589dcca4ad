import SBCConfig
import SIPCore
import SIPTransaction
import Testing
@testable import B2BUA

/// The sans-IO pieces of 100rel and session timers alone, on a manual clock: the reliable
/// provisional sender, the per-fork early dialog state, the session timer's deadlines and the
/// RFC 4028 negotiation rules.
@Suite struct InterworkingStateTests {
    static func provisional(_ status: Int, sdp: Bool = false) -> SIPMessage {
        var message = SIPMessage(startLine: .response(statusCode: status, reason: "x"))
        message.add(.to, "<sip:b@x>;tag=t")
        if sdp { message.setBody(Array("v=0\n".utf8), contentType: "application/sdp") }
        return message
    }

    static func parse(_ text: String) throws -> SIPMessage {
        try SIPMessage(parsing: Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }

    @Test func theSenderNumbersQueuesHoldsAndGivesUp() throws {
        var sender = ReliableProvisionalSender(t1: .milliseconds(500), firstRSeq: 10)
        let sent = sender.send(Self.provisional(180), now: .zero)
        let first = try #require(sent)
        #expect(first.rseq == 10 && first.lists("100rel", in: .require))
        let queued = sender.send(Self.provisional(183, sdp: true), now: .zero)
        #expect(queued == nil, "queued behind RSeq 10")
        #expect(sender.deadline == .milliseconds(500))
        guard case .retransmit(let again)? = sender.fire(now: .milliseconds(500)) else {
            Issue.record("T1: retransmission")
            return
        }
        #expect(again.rseq == 10)
        #expect(sender.deadline == .milliseconds(1500), "the interval doubles")
        guard case .unknown = sender.prack(rseq: 11, now: .seconds(1)) else {
            Issue.record("RSeq 11 is not outstanding")
            return
        }
        guard case .acknowledged(let next?, nil) = sender.prack(rseq: 10, now: .seconds(1)) else {
            Issue.record("the PRACK releases the queued 183")
            return
        }
        #expect(next.rseq == 11 && next.statusCode == 183)
        let goes = sender.final(Self.provisional(200))
        #expect(!goes, "a 2xx waits for the PRACK of a provisional with SDP")
        guard case .acknowledged(nil, let held?) = sender.prack(rseq: 11, now: .seconds(2)) else {
            Issue.record("the PRACK releases the held 2xx")
            return
        }
        #expect(held.statusCode == 200 && sender.deadline == nil)

        var silent = ReliableProvisionalSender(t1: .milliseconds(500), firstRSeq: 1)
        _ = silent.send(Self.provisional(180), now: .zero)
        var times: [Duration] = []
        var gaveUpAt: Duration?
        while let deadline = silent.deadline {
            if case .retransmit = silent.fire(now: deadline) {
                times.append(deadline)
            } else {
                gaveUpAt = deadline
            }
        }
        #expect(times == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5].map { .milliseconds(Int64($0 * 1000)) })
        #expect(gaveUpAt == .seconds(32), "64*T1 after the first send")
        let rejected = silent.final(Self.provisional(500))
        #expect(rejected, "a 5xx goes at once")
    }

    @Test func earlyDialogsKeepRSeqPerTag() throws {
        var early = EarlyDialogs()
        func reliable(_ rseq: UInt32, tag: String, contact: String) throws -> SIPMessage {
            try Self.parse("""
                SIP/2.0 183 Progress
                Via: SIP/2.0/UDP 10.0.1.1:5080;branch=z9hG4bKx
                From: <sip:a@x>;tag=f
                To: <sip:b@x>;tag=\(tag)
                Call-ID: c
                CSeq: 1 INVITE
                Contact: <\(contact)>
                Require: 100rel
                RSeq: \(rseq)
                Content-Length: 0


                """)
        }
        var verdicts: [EarlyDialogs.Verdict] = []
        for (rseq, tag) in [(5, "one"), (5, "one"), (7, "one"), (70, "two"), (6, "one")] as [(UInt32, String)] {
            verdicts.append(early.receive(try reliable(rseq, tag: tag, contact: "sip:\(tag)@h"), tag: tag))
        }
        #expect(verdicts == [.process(rseq: 5), .discard, .discard, .process(rseq: 70), .process(rseq: 6)],
                "a retransmission and a gap are dropped; another tag has its own RSeq space")
        #expect(early["two"]?.remoteTarget?.user == "two" && early.forked)
        early.awaitAnswer(tag: "two", rseq: 70)
        let waiting = early.takeAwaitingAnswer()
        let none = early.takeAwaitingAnswer()
        #expect(waiting?.tag == "two" && waiting?.rseq == 70 && none == nil)
    }

    @Test func sessionTimerDeadlinesFollowRFC4028() {
        var sbc = SessionTimer(interval: .seconds(120), refresher: .sbc, now: .seconds(100), minSE: 90,
                               peerAllowsUpdate: true)
        #expect(sbc.deadline == .seconds(160), "the refresher refreshes at half the interval")
        #expect(sbc.due(at: .seconds(159)) == nil && sbc.due(at: .seconds(160)) == .refresh)
        sbc.refreshing = TransactionKey.client(for: Self.provisional(200)) ?? sbc.refreshing
        sbc.refreshFailed(now: .seconds(160))
        #expect(sbc.deadline == .seconds(190), "a failed refresh is tried again halfway to the expiry")
        #expect(sbc.due(at: .seconds(220)) == .expire)

        let peer = SessionTimer(interval: .seconds(90), refresher: .peer, now: .zero, minSE: 90, peerAllowsUpdate: false)
        #expect(peer.deadline == .seconds(60), "the non-refresher gives up a third (at most 32 s) early")
        let long = SessionTimer(interval: .seconds(1800), refresher: .peer, now: .zero, minSE: 90, peerAllowsUpdate: false)
        #expect(long.deadline == .seconds(1768))
    }

    @Test func negotiationAnswersAsksAndAccepts() throws {
        let settings = SessionTimerSettings(enabled: true, sessionExpires: .seconds(1800), minSE: .seconds(120),
                                            refresher: .peer)
        func request(_ lines: String) throws -> SIPMessage {
            try Self.parse("""
                UPDATE sip:sbc@10.0.0.1 SIP/2.0
                Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKu
                From: <sip:a@x>;tag=a
                To: <sip:b@x>;tag=b
                Call-ID: c
                CSeq: 2 UPDATE
                \(lines)Content-Length: 0


                """)
        }
        #expect(SessionTimerNegotiation.answer(try request("Session-Expires: 100\n"), settings: settings)
            == .tooSmall(minSE: 120))
        #expect(SessionTimerNegotiation.answer(try request("Supported: timer\nSession-Expires: 3600;refresher=uas\n"),
                                               settings: settings)
            == .run(seconds: 1800, refresher: .sbc, header: SessionExpires(seconds: 1800, refresher: .uas), requireTimer: true),
            "the longest interval is the trunk's; the peer's refresher choice stands")
        #expect(SessionTimerNegotiation.answer(try request("Supported: timer\n"), settings: settings)
            == .run(seconds: 1800, refresher: .peer, header: SessionExpires(seconds: 1800, refresher: .uac), requireTimer: true),
            "refresher: peer, and the peer supports timers: it refreshes")
        #expect(SessionTimerNegotiation.answer(try request("Session-Expires: 600;refresher=uac\nMin-SE: 900\n"),
                                               settings: settings)
            == .run(seconds: 900, refresher: .sbc, header: SessionExpires(seconds: 900, refresher: .uas), requireTimer: false),
            "never below the request's Min-SE; a peer without timer support cannot refresh")
        let ask = SessionTimerNegotiation.request(settings: settings, learnedMinSE: 2000)
        #expect(ask.expires == SessionExpires(seconds: 2000, refresher: .uas) && ask.minSE == 2000)
        #expect(SessionTimerNegotiation.accepted(try request("Session-Expires: 300;refresher=uac\n"), requested: 1800)
            == (300, .sbc))
        #expect(SessionTimerNegotiation.accepted(try request(""), requested: 1800) == (1800, .sbc),
                "a peer without timers: the SBC refreshes what it asked for (RFC 4028 7.2)")
        #expect(SessionExpires(try request("x: 90 ; REFRESHER=UAC\n")) == SessionExpires(seconds: 90, refresher: .uac))
    }
}
