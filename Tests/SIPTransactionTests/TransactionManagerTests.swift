// The manager as a whole: the timer heap, the driver contract (nextDeadline / advance),
// configurable base timers, isolation of terminated transactions, and load.

import SIPCore
import Testing
@testable import SIPTransaction

@Suite("Transaction manager")
struct TransactionManagerTests {
    @Test("Empty manager: no deadline, advancing does nothing")
    func empty() {
        var manager = Manager()
        #expect(manager.count == 0)
        #expect(manager.nextDeadline == nil)
        #expect(manager.advance(to: s(1000)).isEmpty)
    }

    @Test("advance fires nothing before the deadline, and exactly what is due at it")
    func advanceBoundaries() {
        var manager = Manager()
        _ = manager.startClient(request("OPTIONS"), reliable: false, context: "c", now: s(10))
        #expect(manager.nextDeadline == s(10.5))
        #expect(manager.advance(to: s(10.499)).isEmpty)
        #expect(manager.advance(to: s(10.5)).map(\.summary) == ["send OPTIONS"])
        #expect(manager.nextDeadline == s(11.5))
    }

    @Test("A late advance catches up on the exact schedule within one call")
    func lateAdvanceCatchesUp() {
        var manager = Manager()
        _ = manager.startClient(invite(), reliable: false, context: "c", now: .zero)
        let events = manager.advance(to: s(10))
        #expect(events.map(\.summary) == Array(repeating: "send INVITE", count: 4))  // 0.5, 1.5, 3.5, 7.5
        #expect(manager.nextDeadline == s(15.5))
        #expect(manager.advance(to: s(100)).map(\.summary).suffix(2) == ["timeout", "terminated"])
    }

    @Test("Timers of several transactions fire in deadline order, each with its own context")
    func interleaving() throws {
        var manager = Manager()
        let inviteRequest = invite(branch: "z9hG4bK-i")
        let options = request("OPTIONS", branch: "z9hG4bK-o")
        _ = manager.startClient(inviteRequest, reliable: false, context: "invite-leg", now: .zero)
        _ = manager.startClient(options, reliable: false, context: "options-leg", now: s(0.25))
        let events = manager.advance(to: s(2))
        // INVITE A: 0.5, 1.5. OPTIONS E: 0.75, 1.75.
        #expect(events.compactMap { event -> String? in
            guard case .send(let message, let context) = event else { return nil }
            return "\(message.label)->\(context)"
        } == ["INVITE->invite-leg", "OPTIONS->options-leg", "INVITE->invite-leg", "OPTIONS->options-leg"])
        let key = try #require(TransactionKey.client(for: options))
        #expect(manager.context(of: key) == "options-leg")
        #expect(manager.request(of: key) == options)
    }

    @Test("A terminated transaction's timers never fire, even when its key is reused")
    func staleTimersNeverFire() throws {
        var manager = Manager()
        let request = invite()
        let key = try #require(TransactionKey.client(for: request))
        _ = manager.startClient(request, reliable: false, context: "first", now: .zero)
        _ = manager.transportFailed(key, now: s(0.1))
        #expect(manager.nextDeadline == nil)
        _ = manager.startClient(request, reliable: false, context: "second", now: s(10))
        #expect(manager.nextDeadline == s(10.5))
        var fired: [Timed] = []
        while let deadline = manager.nextDeadline {
            for event in manager.advance(to: deadline) {
                if case .send(_, let context) = event { #expect(context == "second") }
                fired.append(Timed(at: deadline, summary: event.summary))
            }
        }
        #expect(times(fired, "send INVITE") == [10.5, 11.5, 13.5, 17.5, 25.5, 41.5].map(s))
        #expect(fired.suffix(2) == [Timed(at: s(42), summary: "timeout"), Timed(at: s(42), summary: "terminated")])
    }

    @Test("Cancelled timers leave no trace in nextDeadline")
    func cancelledTimersDoNotSurface() {
        var manager = Manager()
        let options = request("OPTIONS")
        _ = manager.startClient(options, reliable: true, context: "c", now: .zero)  // F at 32
        _ = manager.receiveResponse(response(to: options, 200), now: s(1))  // reliable: gone at once
        #expect(manager.count == 0)
        #expect(manager.nextDeadline == nil)
        #expect(manager.queue.count == 0)
    }

    @Test("T1, T2 and T4 are configurable and every derived timer follows")
    func configurableTimers() {
        let fast = TransactionTimers(t1: .milliseconds(100), t2: .seconds(1), t4: .seconds(2))
        #expect(fast.transactionTimeout == s(6.4))
        #expect(fast.timerD == s(32))  // RFC 3261 floor
        #expect(TransactionTimers(t1: .seconds(1)).timerD == s(64))

        var manager = Manager(timers: fast)
        _ = manager.startClient(invite(branch: "z9hG4bK-inv"), reliable: false, context: "c", now: .zero)
        let options = request("OPTIONS", branch: "z9hG4bK-opt")
        _ = manager.startClient(options, reliable: false, context: "c", now: .zero)
        let events = runTimers(&manager, until: s(10))
        #expect(times(events, "send INVITE") == [0.1, 0.3, 0.7, 1.5, 3.1, 6.3].map(s))  // uncapped doubling
        #expect(times(events, "send OPTIONS") == [0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5, 5.5].map(s))
        #expect(times(events, "timeout") == [s(6.4), s(6.4)])

        // K = T4.
        _ = manager.startClient(options, reliable: false, context: "c", now: s(20))
        _ = manager.receiveResponse(response(to: options, 200), now: s(20))
        #expect(manager.nextDeadline == s(22))
        // G capped at the configured T2; H (and L) at 64*T1.
        let inbound = invite(branch: "z9hG4bK-srv")
        guard case .newTransaction(let key) = manager.receiveRequest(inbound, reliable: false, context: "c", now: s(30))
        else { Issue.record("expected a new transaction"); return }
        _ = manager.respond(key, with: response(to: inbound, 500), now: s(30))
        let server = runTimers(&manager, until: s(40))
        #expect(times(server, "send 500") == [30.1, 30.3, 30.7, 31.5, 32.5, 33.5, 34.5, 35.5].map(s))
        #expect(times(server, "timeout") == [s(36.4)])
    }

    @Test("Timer M and Timer L follow T1")
    func acceptedTimersFollowT1() {
        let fast = TransactionTimers(t1: .milliseconds(50))
        var manager = Manager(timers: fast)
        let outbound = invite(branch: "z9hG4bK-out")
        _ = manager.startClient(outbound, reliable: true, context: "c", now: .zero)
        _ = manager.receiveResponse(response(to: outbound, 200), now: s(1))
        let inbound = invite(branch: "z9hG4bK-in")
        guard case .newTransaction(let key) = manager.receiveRequest(inbound, reliable: true, context: "c", now: s(1))
        else { Issue.record("expected a new transaction"); return }
        _ = manager.respond(key, with: response(to: inbound, 200), now: s(1))
        // M ends the client quietly; L ends the server with a timeout, since no ACK came.
        #expect(runTimers(&manager, until: s(10)) == [Timed(at: s(4.2), summary: "terminated"),
                                                      Timed(at: s(4.2), summary: "timeout"),
                                                      Timed(at: s(4.2), summary: "terminated")])
    }

    @Test("Misuse is harmless: unknown keys, duplicate starts, responses to client keys, ACK as a client request")
    func misuse() throws {
        var manager = Manager()
        let options = request("OPTIONS")
        let key = try #require(TransactionKey.client(for: options))
        #expect(manager.respond(key, with: response(to: options, 200), now: .zero).isEmpty)
        #expect(manager.transportFailed(key, now: .zero).isEmpty)
        #expect(manager.receiveResponse(response(to: options, 200), now: .zero) == nil)
        #expect(manager.receiveResponse(options, now: .zero) == nil)  // a request is not a response
        #expect(manager.startClient(options, reliable: false, context: "c", now: .zero).count == 1)
        #expect(manager.startClient(options, reliable: false, context: "c", now: .zero).isEmpty)
        #expect(manager.respond(key, with: response(to: options, 200), now: .zero).isEmpty)  // client key
        #expect(manager.context(of: key) == "c")
        #expect(!manager.isServerInviteProceeding(key))
        let ack = ackFor2xx(of: invite())
        #expect(manager.startClient(ack, reliable: false, context: "c", now: .zero) == [.send(ack, "c")])
        #expect(manager.count == 1)
    }

    @Test("A context filled in later is what the transaction's later events carry; unknown keys are ignored")
    func updatedContextReachesLaterEvents() throws {
        var manager = Manager()
        let invite = invite()
        guard case .newTransaction(let key) = manager.receiveRequest(invite, reliable: false, context: "answering",
                                                                      now: .zero)
        else { Issue.record("INVITE did not start a transaction"); return }
        manager.updateContext(of: key) { $0 += "+call-7" }
        manager.updateContext(of: try #require(TransactionKey.client(for: request("OPTIONS")))) { $0 = "never" }
        #expect(manager.context(of: key) == "answering+call-7")
        let events = manager.respond(key, with: response(to: invite, 200), now: .zero)
        #expect(events.contains { if case .send(_, "answering+call-7") = $0 { true } else { false } })
        #expect(manager.count == 1)
    }

    @Test("Many concurrent transactions: every one ends, on time, and the heap drains")
    func manyTransactions() {
        var manager = Manager()
        var requests: [SIPMessage] = []
        for index in 0..<600 {
            let method = index % 3 == 0 ? "INVITE" : "OPTIONS"
            let message = request(method, branch: "z9hG4bK-\(index)", callID: "call-\(index)")
            requests.append(message)
            _ = manager.startClient(message, reliable: index % 2 == 0, context: "c\(index)", now: s(Double(index) / 100))
        }
        for index in 0..<300 {
            let request = requests[index * 2 + 1]
            _ = manager.receiveResponse(response(to: request, 404), now: s(6))
        }
        var inbound: [TransactionKey] = []
        for index in 0..<300 {
            let message = SIPTransactionTests.request("BYE", branch: "z9hG4bK-in-\(index)", callID: "in-\(index)")
            if case .newTransaction(let key) = manager.receiveRequest(message, reliable: false, context: "s", now: s(6)) {
                inbound.append(key)
                _ = manager.respond(key, with: response(to: message, 200), now: s(6))
            }
        }
        #expect(Set(inbound).count == 300)
        #expect(manager.count == 900)

        var terminated = 0
        var timeouts = 0
        var last = Duration.zero
        while let deadline = manager.nextDeadline {
            #expect(deadline >= last)
            last = deadline
            for event in manager.advance(to: deadline) {
                if case .terminated = event { terminated += 1 }
                if case .timeout = event { timeouts += 1 }
            }
        }
        // The 300 unanswered client transactions (even indices, reliable) time out at 32 s.
        #expect(timeouts == 300)
        #expect(terminated == 900)
        #expect(manager.count == 0)
        #expect(manager.queue.count == 0)
        #expect(last == s(38))  // Timer D/J of the last ones, answered at 6 s
    }
    @Test("Stale heap entries are compacted away when they dominate")
    func heapCompaction() {
        var manager = Manager()
        _ = manager.startClient(request("OPTIONS", branch: "z9hG4bK-survivor"), reliable: true, context: "c", now: .zero)
        for index in 0..<500 {
            let options = request("OPTIONS", branch: "z9hG4bK-gone-\(index)")
            _ = manager.startClient(options, reliable: true, context: "c", now: .zero)
            _ = manager.receiveResponse(response(to: options, 200), now: .zero)  // reliable: ends at once
        }
        #expect(manager.count == 1)
        #expect(manager.queue.count <= 64)  // 500 stale Timer F entries would otherwise sit there
        #expect(manager.nextDeadline == s(32))
        #expect(manager.advance(to: s(32)).map(\.summary) == ["timeout", "terminated"])
        #expect(manager.queue.count == 0)
    }

    @Test("A terminated Accepted transaction leaves no dialog-ACK index behind")
    func dialogIndexCleanup() throws {
        var manager = Manager()
        let inbound = invite()
        guard case .newTransaction(let key) = manager.receiveRequest(inbound, reliable: false, context: "c", now: .zero)
        else { Issue.record("expected a new transaction"); return }
        _ = manager.respond(key, with: response(to: inbound, 200), now: .zero)
        #expect(manager.acceptedByDialog.count == 1)
        #expect(manager.transportFailed(key, now: s(1)) == [.transportError(key, "c"), .terminated(key, "c")])
        #expect(manager.acceptedByDialog.isEmpty)
        #expect(manager.receiveRequest(ackFor2xx(of: inbound), reliable: false, context: "c", now: s(2)) == .ackForDialog)
        #expect(manager.nextDeadline == nil)
    }

    @Test("An abandoned client transaction stops retransmitting and a late response matches nothing")
    func abandonedClientIsSilent() throws {
        var manager = Manager()
        let request = invite(branch: "z9hG4bK-gone")
        let key = try #require(TransactionKey.client(for: request))
        _ = manager.startClient(request, reliable: false, context: "c", now: .zero)
        #expect(manager.abandonClient(key).map(\.summary) == ["terminated"])
        #expect(manager.count == 0)
        #expect(manager.advance(to: s(40)).isEmpty, "no retransmission and no timeout after abandoning")
        #expect(manager.abandonClient(key).isEmpty)
    }
}
