// RFC 3261 17.1.1 + RFC 6026: the INVITE client transaction, through the manager (with real
// time) and, where the state itself is the point, as a bare machine.

import SIPCore
import Testing
@testable import SIPTransaction

@Suite("Client INVITE transaction")
struct ClientInviteTransactionTests {
    let timers = TransactionTimers()

    @Test("Timer A retransmits at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and Timer B times out at 32 s")
    func timerAAndB() {
        var manager = Manager(timers: timers)
        let first = manager.startClient(invite(), reliable: false, context: "udp", now: .zero)
        #expect(first.map(\.summary) == ["send INVITE"])
        #expect(manager.nextDeadline == s(0.5))

        let events = runTimers(&manager, until: s(100))
        #expect(times(events, "send INVITE") == [s(0.5), s(1.5), s(3.5), s(7.5), s(15.5), s(31.5)])
        #expect(events.suffix(2) == [Timed(at: s(32), summary: "timeout"), Timed(at: s(32), summary: "terminated")])
        #expect(manager.count == 0)
        #expect(manager.nextDeadline == nil)
    }

    @Test("Over a reliable transport there is no Timer A, only Timer B")
    func reliableNoRetransmission() {
        var manager = Manager(timers: timers)
        _ = manager.startClient(invite(), reliable: true, context: "tcp", now: .zero)
        #expect(manager.nextDeadline == s(32))
        let events = runTimers(&manager, until: s(100))
        #expect(events == [Timed(at: s(32), summary: "timeout"), Timed(at: s(32), summary: "terminated")])
    }

    @Test("A 1xx stops Timer A and Timer B; further 1xx are delivered")
    func provisionalStopsRetransmission() {
        var manager = Manager(timers: timers)
        let request = invite()
        _ = manager.startClient(request, reliable: false, context: "udp", now: .zero)
        _ = runTimers(&manager, until: s(1))  // one retransmission at 0.5
        let ringing = manager.receiveResponse(response(to: request, 180), now: s(1))
        #expect(ringing?.map(\.summary) == ["response 180"])
        #expect(manager.nextDeadline == nil)
        #expect(manager.receiveResponse(response(to: request, 183), now: s(2))?.map(\.summary) == ["response 183"])
        #expect(runTimers(&manager, until: s(300)).isEmpty)
        #expect(manager.count == 1)
    }

    @Test("2xx: delivered, Accepted; retransmitted 2xx delivered again; Timer M terminates at 64*T1")
    func acceptedState() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        _ = manager.startClient(request, reliable: false, context: "udp", now: .zero)
        let ok = response(to: request, 200)
        let firstResult = manager.receiveResponse(ok, now: s(2))
        let first = try #require(firstResult)
        #expect(first.map(\.summary) == ["response 200"])
        #expect(manager.nextDeadline == s(34))  // Timer M = 32 s from the 2xx; A and B are gone

        // The far end did not get our ACK yet (or a second fork answered): each 2xx goes up.
        #expect(manager.receiveResponse(ok, now: s(3))?.map(\.summary) == ["response 200"])
        let fork = response(to: request, 200, toTag: "fork-2")
        let forkedResult = manager.receiveResponse(fork, now: s(4))
        let forked = try #require(forkedResult)
        #expect(forked.first?.delivered?.to?.tag == "fork-2")
        // A late non-2xx in Accepted is swallowed.
        #expect(manager.receiveResponse(response(to: request, 486), now: s(5)) == [])

        let events = runTimers(&manager, until: s(100))
        #expect(events == [Timed(at: s(34), summary: "terminated")])
        // After M, a 2xx is a stray for the TU to re-ACK.
        #expect(manager.receiveResponse(ok, now: s(40)) == nil)
    }

    @Test("300-699: the transaction sends the ACK (RFC 3261 17.1.1.3), delivers once, Timer D absorbs")
    func nonSuccessFinal() throws {
        var manager = Manager(timers: timers)
        let request = invite(extra: """
        Route: <sip:proxy1.example.com;lr>
        Route: <sip:proxy2.example.com;lr>, <sip:proxy3.example.com;lr>
        X-Custom: not-copied

        """)
        _ = manager.startClient(request, reliable: false, context: "udp", now: .zero)
        _ = manager.receiveResponse(response(to: request, 180), now: s(0.2))
        let busy = response(to: request, 486, toTag: "busy-tag")
        let eventsResult = manager.receiveResponse(busy, now: s(1))
        let events = try #require(eventsResult)
        #expect(events.map(\.summary) == ["send ACK", "response 486"])

        let ack = try #require(events.first?.sent)
        #expect(ack.requestURIText == request.requestURIText)
        #expect(ack.values(.via) == ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-c1"])
        #expect(ack.values(.route) == ["<sip:proxy1.example.com;lr>",
                                       "<sip:proxy2.example.com;lr>, <sip:proxy3.example.com;lr>"])
        #expect(ack.maxForwards == 70)
        #expect(ack.firstValue(.from) == request.firstValue(.from))
        #expect(ack.to?.tag == "busy-tag")
        #expect(ack.callID == request.callID)
        #expect(ack.cseq == SIPCSeq(number: 1, method: .ack))
        #expect(ack.firstValue(.contentLength) == "0")
        #expect(ack.body.isEmpty)
        #expect(!ack.contains(.contact))
        #expect(!ack.contains(SIPHeaderName("X-Custom")))
        // It round-trips through the parser: it is a valid message on the wire.
        #expect(try SIPMessage(parsing: ack.serialized()) == ack)

        // Retransmitted 486: ACK again, the TU hears nothing.
        #expect(manager.receiveResponse(busy, now: s(2))?.map(\.summary) == ["send ACK"])
        #expect(manager.receiveResponse(busy, now: s(3))?.first?.sent == ack)
        #expect(manager.nextDeadline == s(33))  // Timer D = 32 s
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(33), summary: "terminated")])
    }

    @Test("Non-2xx over a reliable transport: Timer D is zero, the transaction ends at once")
    func reliableTimerD() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        _ = manager.startClient(request, reliable: true, context: "tcp", now: .zero)
        let eventsResult = manager.receiveResponse(response(to: request, 603), now: s(1))
        let events = try #require(eventsResult)
        #expect(events.map(\.summary) == ["send ACK", "response 603", "terminated"])
        #expect(manager.count == 0)
        #expect(manager.nextDeadline == nil)
    }

    @Test("A final received while Calling stops Timer A too")
    func finalInCalling() {
        var manager = Manager(timers: timers)
        let request = invite()
        _ = manager.startClient(request, reliable: false, context: "udp", now: .zero)
        #expect(manager.receiveResponse(response(to: request, 404), now: s(0.3))?.map(\.summary)
            == ["send ACK", "response 404"])
        let events = runTimers(&manager, until: s(100))
        #expect(events == [Timed(at: s(32.3), summary: "terminated")])
    }

    @Test("cancelSent re-arms Timer B in Proceeding: no final within 64*T1 -> timeout")
    func cancelledWithoutFinal() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(TransactionKey.client(for: request))
        _ = manager.startClient(request, reliable: false, context: "udp", now: .zero)
        _ = manager.receiveResponse(response(to: request, 180), now: s(1))
        #expect(manager.nextDeadline == nil)
        #expect(manager.cancelSent(key, now: s(10)).isEmpty)
        #expect(manager.nextDeadline == s(42))
        // A late 1xx does not stop the cancel guard.
        _ = manager.receiveResponse(response(to: request, 183), now: s(11))
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(42), summary: "timeout"),
                                                       Timed(at: s(42), summary: "terminated")])
    }

    @Test("Transport failure: transportError, then terminated; its timers never fire")
    func transportFailure() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(TransactionKey.client(for: request))
        _ = manager.startClient(request, reliable: false, context: "udp", now: .zero)
        let events = manager.transportFailed(key, now: s(0.1))
        #expect(events == [.transportError(key, "udp"), .terminated(key, "udp")])
        #expect(manager.nextDeadline == nil)
        #expect(manager.advance(to: s(1000)).isEmpty)
    }

    @Test("Bare machine: states and actions")
    func bareMachine() {
        let request = invite()
        var machine = ClientInviteTransaction(request: request, reliable: false, timers: timers)
        #expect(machine.handle(.start) == [.send(request), .startTimer(.a, after: s(0.5)), .startTimer(.b, after: s(32))])
        #expect(machine.handle(.timer(.a)) == [.send(request), .startTimer(.a, after: s(1))])
        #expect(machine.handle(.timer(.a)) == [.send(request), .startTimer(.a, after: s(2))])
        #expect(machine.state == .calling)
        let ringing = response(to: request, 180)
        #expect(machine.handle(.response(ringing)) == [.cancelTimer(.a), .cancelTimer(.b), .deliver(ringing)])
        #expect(machine.state == .proceeding)
        #expect(machine.handle(.timer(.a)).isEmpty)
        let ok = response(to: request, 200)
        _ = machine.handle(.response(ok))
        #expect(machine.state == .accepted)
        #expect(machine.handle(.timer(.m)) == [.terminate])
        #expect(machine.state == .terminated)
        #expect(machine.handle(.response(ok)).isEmpty)
    }

    @Test("ACK builder keeps only the top Via when the INVITE's first Via field is a list")
    func ackTopViaFromList() {
        let request = sip("""
        INVITE sip:bob@example.com SIP/2.0
        Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-top, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-below
        Via: SIP/2.0/TCP 10.0.0.8;branch=z9hG4bK-further
        From: <sip:alice@example.com>;tag=a
        To: <sip:bob@example.com>
        Call-ID: list-via
        CSeq: 7 INVITE
        Content-Length: 0


        """)
        let ack = ClientInviteTransaction.ack(for: request, response: response(to: request, 500))
        #expect(ack.vias.count == 1)
        #expect(ack.topVia?.branch == "z9hG4bK-top")
        #expect(ack.cseq == SIPCSeq(number: 7, method: .ack))
    }
}
