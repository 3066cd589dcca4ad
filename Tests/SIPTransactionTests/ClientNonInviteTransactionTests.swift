// RFC 3261 17.1.2: the non-INVITE client transaction (Timers E, F, K).

import SIPCore
import Testing
@testable import SIPTransaction

@Suite("Client non-INVITE transaction")
struct ClientNonInviteTransactionTests {
    let timers = TransactionTimers()

    @Test("Timer E doubles from T1 and caps at T2 = 4 s; Timer F times out at 64*T1")
    func timerEAndF() {
        var manager = Manager(timers: timers)
        let first = manager.startClient(request("OPTIONS"), reliable: false, context: "udp", now: .zero)
        #expect(first.map(\.summary) == ["send OPTIONS"])
        let events = runTimers(&manager, until: s(100))
        // Intervals 0.5, 1, 2, 4, 4, 4, ...: sent at 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5.
        #expect(times(events, "send OPTIONS") == [s(0.5), s(1.5), s(3.5), s(7.5), s(11.5), s(15.5), s(19.5),
                                                  s(23.5), s(27.5), s(31.5)])
        #expect(events.suffix(2) == [Timed(at: s(32), summary: "timeout"), Timed(at: s(32), summary: "terminated")])
        #expect(manager.count == 0)
    }

    @Test("Reliable: no Timer E; Timer F still bounds the transaction")
    func reliable() {
        var manager = Manager(timers: timers)
        _ = manager.startClient(request("BYE"), reliable: true, context: "tls", now: .zero)
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(32), summary: "timeout"),
                                                       Timed(at: s(32), summary: "terminated")])
    }

    @Test("A 1xx moves to Proceeding: E keeps firing, re-armed at T2")
    func proceedingRetransmitsAtT2() {
        var manager = Manager(timers: timers)
        let bye = request("BYE")
        _ = manager.startClient(bye, reliable: false, context: "udp", now: .zero)
        _ = runTimers(&manager, until: s(1))  // E at 0.5, next at 1.5
        #expect(manager.receiveResponse(response(to: bye, 100), now: s(1))?.map(\.summary) == ["response 100"])
        let events = runTimers(&manager, until: s(14))
        // The pending E (1.5) still fires, then every T2.
        #expect(times(events, "send BYE") == [s(1.5), s(5.5), s(9.5), s(13.5)])
        #expect(manager.receiveResponse(response(to: bye, 100), now: s(14))?.map(\.summary) == ["response 100"])
    }

    @Test("Final: delivered once, Completed; Timer K = T4 absorbs retransmitted finals")
    func completedTimerK() {
        var manager = Manager(timers: timers)
        let register = request("REGISTER")
        _ = manager.startClient(register, reliable: false, context: "udp", now: .zero)
        let ok = response(to: register, 200)
        #expect(manager.receiveResponse(ok, now: s(0.2))?.map(\.summary) == ["response 200"])
        #expect(manager.nextDeadline == s(5.2))
        // Absorbed, not a stray, not delivered again.
        #expect(manager.receiveResponse(ok, now: s(1)) == [])
        #expect(manager.receiveResponse(response(to: register, 100), now: s(2)) == [])
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(5.2), summary: "terminated")])
        #expect(manager.receiveResponse(ok, now: s(6)) == nil)
    }

    @Test("Reliable final: Timer K is zero, terminated with the delivery")
    func reliableTimerK() {
        var manager = Manager(timers: timers)
        let message = request("MESSAGE")
        _ = manager.startClient(message, reliable: true, context: "tcp", now: .zero)
        #expect(manager.receiveResponse(response(to: message, 404), now: s(0.2))?.map(\.summary)
            == ["response 404", "terminated"])
        #expect(manager.count == 0)
    }

    @Test("A final stops E and F")
    func finalStopsTimers() {
        var manager = Manager(timers: timers)
        let options = request("OPTIONS")
        _ = manager.startClient(options, reliable: false, context: "udp", now: .zero)
        _ = manager.receiveResponse(response(to: options, 200), now: s(0.1))
        let events = runTimers(&manager, until: s(100))
        #expect(events == [Timed(at: s(5.1), summary: "terminated")])
    }

    @Test("CANCEL is its own client transaction beside its INVITE")
    func cancelBesideInvite() throws {
        var manager = Manager(timers: timers)
        let inviteRequest = invite(branch: "z9hG4bK-same")
        let cancel = request("CANCEL", branch: "z9hG4bK-same")
        _ = manager.startClient(inviteRequest, reliable: false, context: "udp", now: .zero)
        _ = manager.startClient(cancel, reliable: false, context: "udp", now: s(1))
        #expect(manager.count == 2)
        let cancelKey = try #require(TransactionKey.client(for: cancel))
        let inviteKey = try #require(TransactionKey.client(for: inviteRequest))
        #expect(cancelKey != inviteKey)
        let cancelled = manager.receiveResponse(response(to: cancel, 200), now: s(1.1))
        #expect(cancelled?.first == .response(response(to: cancel, 200), cancelKey, "udp"))
        let terminated = manager.receiveResponse(response(to: inviteRequest, 487), now: s(1.2))
        #expect(terminated?.map(\.summary) == ["send ACK", "response 487"])
    }

    @Test("Bare machine: E interval sequence and the T2 reset in Proceeding")
    func bareMachine() {
        let options = request("OPTIONS")
        var machine = ClientNonInviteTransaction(request: options, reliable: false, timers: timers)
        #expect(machine.handle(.start) == [.send(options), .startTimer(.e, after: s(0.5)), .startTimer(.f, after: s(32))])
        #expect(machine.handle(.timer(.e)) == [.send(options), .startTimer(.e, after: s(1))])
        #expect(machine.handle(.timer(.e)) == [.send(options), .startTimer(.e, after: s(2))])
        _ = machine.handle(.response(response(to: options, 100)))
        #expect(machine.state == .proceeding)
        #expect(machine.handle(.timer(.e)) == [.send(options), .startTimer(.e, after: s(4))])
        #expect(machine.handle(.timer(.f)) == [.cancelTimer(.e), .timeout, .terminate])
        #expect(machine.state == .terminated)
        #expect(machine.handle(.timer(.e)).isEmpty)
    }
}
