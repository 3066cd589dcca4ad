// RFC 3261 17.2.2: the non-INVITE server transaction (Timer J), CANCEL included.

import SIPCore
import Testing
@testable import SIPTransaction

@Suite("Server non-INVITE transaction")
struct ServerNonInviteTransactionTests {
    let timers = TransactionTimers()

    @Test("New request, then retransmissions: nothing in Trying, last provisional, then the final")
    func retransmissionAbsorption() throws {
        var manager = Manager(timers: timers)
        let bye = request("BYE", toTag: "bob-tag")
        guard case .newTransaction(let key) = manager.receiveRequest(bye, reliable: false, context: "udp", now: .zero)
        else { Issue.record("expected a new transaction"); return }
        #expect(manager.request(of: key) == bye)
        #expect(manager.context(of: key) == "udp")

        #expect(manager.receiveRequest(bye, reliable: false, context: "udp", now: s(0.5)) == .retransmission([]))

        let trying = response(to: bye, 100, toTag: nil)
        #expect(manager.respond(key, with: trying, now: s(0.6)) == [.send(trying, "udp")])
        #expect(manager.receiveRequest(bye, reliable: false, context: "udp", now: s(1.5))
            == .retransmission([.send(trying, "udp")]))

        let ok = response(to: bye, 200)
        #expect(manager.respond(key, with: ok, now: s(2)) == [.send(ok, "udp")])
        #expect(manager.receiveRequest(bye, reliable: false, context: "other", now: s(3))
            == .retransmission([.send(ok, "udp")]))
        // Nothing more may be sent on a completed transaction.
        #expect(manager.respond(key, with: response(to: bye, 500), now: s(4)).isEmpty)
        #expect(manager.respond(key, with: trying, now: s(4)).isEmpty)
    }

    @Test("Timer J = 64*T1 over UDP, then the request is new again")
    func timerJ() throws {
        var manager = Manager(timers: timers)
        let options = request("OPTIONS")
        guard case .newTransaction(let key) = manager.receiveRequest(options, reliable: false, context: "udp",
                                                                     now: s(1))
        else { Issue.record("expected a new transaction"); return }
        #expect(manager.nextDeadline == nil)  // no timer in Trying
        _ = manager.respond(key, with: response(to: options, 200), now: s(2))
        #expect(manager.nextDeadline == s(34))
        #expect(runTimers(&manager, until: s(100)) == [Timed(at: s(34), summary: "terminated")])
        #expect(manager.receiveRequest(options, reliable: false, context: "udp", now: s(101)) == .newTransaction(key))
    }

    @Test("Reliable: Timer J is zero, the final terminates the transaction")
    func reliableTimerJ() throws {
        var manager = Manager(timers: timers)
        let options = request("OPTIONS")
        guard case .newTransaction(let key) = manager.receiveRequest(options, reliable: true, context: "tcp", now: .zero)
        else { Issue.record("expected a new transaction"); return }
        let ok = response(to: options, 200)
        #expect(manager.respond(key, with: ok, now: s(1)) == [.send(ok, "tcp"), .terminated(key, "tcp")])
        #expect(manager.count == 0)
        #expect(manager.nextDeadline == nil)
    }

    @Test("The server never retransmits on its own")
    func noOwnRetransmissions() {
        var manager = Manager(timers: timers)
        let options = request("OPTIONS")
        guard case .newTransaction(let key) = manager.receiveRequest(options, reliable: false, context: "udp", now: .zero)
        else { Issue.record("expected a new transaction"); return }
        _ = manager.respond(key, with: response(to: options, 200), now: .zero)
        #expect(runTimers(&manager, until: s(100)).map(\.summary) == ["terminated"])
    }

    @Test("CANCEL: its own transaction, matched to the INVITE it targets (RFC 3261 9.2)")
    func cancelMatching() throws {
        var manager = Manager(timers: timers)
        let inviteRequest = invite(branch: "z9hG4bK-inv")
        let cancel = request("CANCEL", branch: "z9hG4bK-inv")
        guard case .newTransaction(let inviteKey) = manager.receiveRequest(inviteRequest, reliable: false,
                                                                           context: "udp", now: .zero),
            case .newTransaction(let cancelKey) = manager.receiveRequest(cancel, reliable: false, context: "udp",
                                                                         now: s(1))
        else { Issue.record("expected two new transactions"); return }
        #expect(cancelKey != inviteKey)
        #expect(cancelKey.method == .cancel)
        #expect(TransactionKey.inviteServer(matching: cancel) == inviteKey)
        #expect(manager.isServerInviteProceeding(inviteKey))
        #expect(!manager.isServerInviteProceeding(cancelKey))

        // What the TU does: 200 to the CANCEL, 487 to the INVITE.
        let okCancel = response(to: cancel, 200)
        #expect(manager.respond(cancelKey, with: okCancel, now: s(1)) == [.send(okCancel, "udp")])
        let terminated = response(to: inviteRequest, 487)
        #expect(manager.respond(inviteKey, with: terminated, now: s(1)) == [.send(terminated, "udp")])
        #expect(!manager.isServerInviteProceeding(inviteKey))

        // A CANCEL with another branch targets nothing here.
        let stray = request("CANCEL", branch: "z9hG4bK-other")
        #expect(TransactionKey.inviteServer(matching: stray) != inviteKey)
        #expect(TransactionKey.inviteServer(matching: inviteRequest) == nil)
    }

    @Test("Server transport failure: transportError, terminated")
    func transportFailure() {
        var manager = Manager(timers: timers)
        let options = request("OPTIONS")
        guard case .newTransaction(let key) = manager.receiveRequest(options, reliable: false, context: "udp", now: .zero)
        else { Issue.record("expected a new transaction"); return }
        _ = manager.respond(key, with: response(to: options, 200), now: .zero)
        #expect(manager.transportFailed(key, now: s(1)) == [.transportError(key, "udp"), .terminated(key, "udp")])
        #expect(manager.advance(to: s(100)).isEmpty)
    }

    @Test("Bare machine")
    func bareMachine() {
        let options = request("OPTIONS")
        var machine = ServerNonInviteTransaction(request: options, reliable: false, timers: timers)
        #expect(machine.handle(.retransmittedRequest).isEmpty)
        let ok = response(to: options, 200)
        #expect(machine.handle(.respond(ok)) == [.send(ok), .startTimer(.j, after: s(32))])
        #expect(machine.state == .completed)
        #expect(machine.handle(.retransmittedRequest) == [.send(ok)])
        #expect(machine.handle(.timer(.j)) == [.terminate])
        #expect(machine.state == .terminated)
    }
}
