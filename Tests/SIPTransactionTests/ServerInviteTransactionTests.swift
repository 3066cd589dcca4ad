// RFC 3261 17.2.1 + RFC 6026: the INVITE server transaction (Timers G, H, I, L).

import SIPCore
import Testing
@testable import SIPTransaction

@Suite("Server INVITE transaction")
struct ServerInviteTransactionTests {
    let timers = TransactionTimers()
    /// G capped at T2: intervals 0.5, 1, 2, 4, 4, ... from the response at t = 0.
    let cappedSchedule = [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5].map(s)

    func start(_ manager: inout Manager, _ request: SIPMessage, reliable: Bool = false) -> TransactionKey? {
        guard case .newTransaction(let key) = manager.receiveRequest(request, reliable: reliable,
                                                                     context: "leg", now: .zero)
        else { return nil }
        return key
    }

    @Test("Proceeding: the TU's 1xx goes out; a retransmitted INVITE re-sends the last provisional")
    func proceeding() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        #expect(manager.isServerInviteProceeding(key))
        #expect(manager.receiveRequest(request, reliable: false, context: "leg", now: s(0.5)) == .retransmission([]))
        let trying = response(to: request, 100, toTag: nil)
        let ringing = response(to: request, 180)
        #expect(manager.respond(key, with: trying, now: s(0.6)) == [.send(trying, "leg")])
        #expect(manager.respond(key, with: ringing, now: s(0.7)) == [.send(ringing, "leg")])
        #expect(manager.receiveRequest(request, reliable: false, context: "leg", now: s(1.5))
            == .retransmission([.send(ringing, "leg")]))
        #expect(manager.nextDeadline == nil)  // the server INVITE has no timer in Proceeding
    }

    @Test("Accepted over UDP: 2xx retransmitted at T1 doubling to T2 until the ACK; then Timer L ends it quietly")
    func acceptedRetransmitsUntilACK() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        let ok = response(to: request, 200)
        #expect(manager.respond(key, with: ok, now: .zero) == [.send(ok, "leg")])
        #expect(!manager.isServerInviteProceeding(key))

        let before = runTimers(&manager, until: s(8))
        #expect(times(before, "send 200") == Array(cappedSchedule.prefix(4)))

        // The ACK for a 2xx has a new branch: it belongs to the dialog, but stops the 2xx.
        #expect(manager.receiveRequest(ackFor2xx(of: request), reliable: false, context: "leg", now: s(8))
            == .ackForDialog)
        let after = runTimers(&manager, until: s(100))
        #expect(after == [Timed(at: s(32), summary: "terminated")])  // Timer L, no timeout: it was ACKed
    }

    @Test("Accepted: Timer L without an ACK reports a timeout")
    func timerLWithoutACK() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        _ = manager.respond(key, with: response(to: request, 200), now: .zero)
        let events = runTimers(&manager, until: s(100))
        #expect(times(events, "send 200") == cappedSchedule)
        #expect(events.suffix(2) == [Timed(at: s(32), summary: "timeout"), Timed(at: s(32), summary: "terminated")])
    }

    @Test("Accepted over a reliable transport: no 2xx retransmissions, Timer L only")
    func acceptedReliable() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request, reliable: true))
        _ = manager.respond(key, with: response(to: request, 200), now: .zero)
        #expect(manager.nextDeadline == s(32))
        #expect(manager.receiveRequest(ackFor2xx(of: request), reliable: true, context: "leg", now: s(1))
            == .ackForDialog)
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(32), summary: "terminated")])
    }

    @Test("Accepted: retransmitted INVITE re-sends the 2xx until ACKed, then is absorbed silently")
    func acceptedAbsorbsInvite() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        let ok = response(to: request, 200)
        _ = manager.respond(key, with: ok, now: .zero)
        #expect(manager.receiveRequest(request, reliable: false, context: "leg", now: s(0.2))
            == .retransmission([.send(ok, "leg")]))
        _ = manager.receiveRequest(ackFor2xx(of: request), reliable: false, context: "leg", now: s(0.3))
        #expect(manager.receiveRequest(request, reliable: false, context: "leg", now: s(0.4)) == .retransmission([]))
        // A second ACK (the UAC re-ACKs a 2xx it saw twice) still goes to the TU.
        #expect(manager.receiveRequest(ackFor2xx(of: request), reliable: false, context: "leg", now: s(0.5))
            == .ackForDialog)
        // The TU may still pass a 2xx retransmission of its own (RFC 6026 8.5).
        #expect(manager.respond(key, with: ok, now: s(1)) == [.send(ok, "leg")])
        #expect(manager.respond(key, with: response(to: request, 500), now: s(1)).isEmpty)
    }

    @Test("An ACK with another To tag does not stop the 2xx; an ACK matching nothing goes to the TU")
    func ackMatchingIsByDialog() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        _ = manager.respond(key, with: response(to: request, 200), now: .zero)
        #expect(manager.receiveRequest(ackFor2xx(of: request, toTag: "someone-else"), reliable: false,
                                       context: "leg", now: s(0.1)) == .ackForDialog)
        #expect(times(runTimers(&manager, until: s(2)), "send 200") == [s(0.5), s(1.5)])
        let unrelated = SIPTransactionTests.request("ACK", branch: "z9hG4bK-x", callID: "nobody@here", toTag: "t")
        #expect(manager.receiveRequest(unrelated, reliable: false, context: "leg", now: s(2)) == .ackForDialog)
        #expect(manager.count == 1)
    }

    @Test("Non-2xx over UDP: Timer G retransmits capped at T2, Timer H times out at 64*T1")
    func timerGAndH() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        _ = manager.respond(key, with: response(to: request, 486), now: .zero)
        let events = runTimers(&manager, until: s(100))
        #expect(times(events, "send 486") == cappedSchedule)
        #expect(events.suffix(2) == [Timed(at: s(32), summary: "timeout"), Timed(at: s(32), summary: "terminated")])
    }

    @Test("Non-2xx: the ACK is absorbed, Confirmed, Timer I = T4; retransmitted ACK/INVITE absorbed")
    func confirmedTimerI() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request))
        let busy = response(to: request, 486)
        _ = manager.respond(key, with: busy, now: .zero)
        #expect(times(runTimers(&manager, until: s(2)), "send 486") == [s(0.5), s(1.5)])
        // A retransmitted INVITE re-sends the final.
        #expect(manager.receiveRequest(request, reliable: false, context: "leg", now: s(2))
            == .retransmission([.send(busy, "leg")]))

        let ack = ackForNon2xx(of: request)
        #expect(TransactionKey.server(for: ack) == key)
        #expect(manager.receiveRequest(ack, reliable: false, context: "leg", now: s(2)) == .ackAbsorbed)
        #expect(manager.nextDeadline == s(7))  // G and H stopped, I = T4
        #expect(manager.receiveRequest(ack, reliable: false, context: "leg", now: s(3)) == .ackAbsorbed)
        #expect(manager.receiveRequest(request, reliable: false, context: "leg", now: s(3)) == .retransmission([]))
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(7), summary: "terminated")])
    }

    @Test("Reliable non-2xx: no Timer G; the ACK arms a zero Timer I reported by the next advance")
    func reliableNon2xx() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request, reliable: true))
        _ = manager.respond(key, with: response(to: request, 603), now: .zero)
        #expect(manager.nextDeadline == s(32))  // H only
        #expect(manager.receiveRequest(ackForNon2xx(of: request), reliable: true, context: "leg", now: s(1))
            == .ackAbsorbed)
        #expect(manager.nextDeadline == s(1))
        #expect(manager.advance(to: s(1)) == [.terminated(key, "leg")])
        #expect(manager.count == 0)
    }

    @Test("Reliable non-2xx with no ACK: Timer H still times out")
    func reliableTimerH() throws {
        var manager = Manager(timers: timers)
        let request = invite()
        let key = try #require(start(&manager, request, reliable: true))
        _ = manager.respond(key, with: response(to: request, 480), now: .zero)
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(32), summary: "timeout"),
                                                       Timed(at: s(32), summary: "terminated")])
    }

    @Test("Bare machine: the 2xx retransmission interval and the ACK")
    func bareMachine() {
        let request = invite()
        var machine = ServerInviteTransaction(request: request, reliable: false, timers: timers)
        let ok = response(to: request, 200)
        #expect(machine.handle(.respond(ok)) == [.send(ok), .startTimer(.g, after: s(0.5)), .startTimer(.l, after: s(32))])
        #expect(machine.state == .accepted)
        #expect(machine.handle(.timer(.g)) == [.send(ok), .startTimer(.g, after: s(1))])
        #expect(machine.handle(.timer(.g)) == [.send(ok), .startTimer(.g, after: s(2))])
        #expect(machine.handle(.timer(.g)) == [.send(ok), .startTimer(.g, after: s(4))])
        #expect(machine.handle(.timer(.g)) == [.send(ok), .startTimer(.g, after: s(4))])
        #expect(machine.handle(.ack) == [.cancelTimer(.g)])
        #expect(machine.acknowledged)
        #expect(machine.handle(.timer(.g)).isEmpty)
        #expect(machine.handle(.timer(.l)) == [.cancelTimer(.g), .terminate])
    }
}
