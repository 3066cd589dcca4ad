import SBCTimers
import SIPCore

/// The manager's plumbing: one input vocabulary for the four machines, the translation of
/// their actions into events and timer deadlines, and ACK routing.
extension TransactionManager {
    /// Every input any machine understands; each machine maps the ones that concern it.
    enum Input: Sendable {
        case start
        case response(SIPMessage)
        case retransmittedRequest
        case ack
        case respond(SIPMessage)
        case timer(TransactionTimer)
        case transportError
        case cancelSent
    }

    /// Runs `input` through the machine of `key` and carries out its actions. Unknown key: `[]`.
    mutating func run(_ key: TransactionKey, _ input: Input, now: Duration) -> [TransactionEvent<Context>] {
        // Taken out of the table so that the entry is uniquely referenced: mutating a copy
        // would copy its machine's state on every change.
        guard var entry = table.removeValue(forKey: key) else { return [] }
        let actions = entry.machine.handle(input)
        var events: [TransactionEvent<Context>] = []
        var terminated = false
        for action in actions {
            switch action {
            case .send(let message):
                events.append(.send(message, entry.context))
            case .deliver(let response):
                events.append(.response(response, key, entry.context))
            case .startTimer(let timer, let after):
                entry.timers[timer] = queue.push(ArmedTimer(key: key, timer: timer), at: now + after)
            case .cancelTimer(let timer):
                entry.timers[timer] = nil
            case .timeout:
                events.append(.timeout(key, entry.context))
            case .transportError:
                events.append(.transportError(key, entry.context))
            case .terminate:
                terminated = true
                events.append(.terminated(key, entry.context))
            }
        }
        if terminated {
            if let dialog = entry.dialogACK, acceptedByDialog[dialog] == key { acceptedByDialog[dialog] = nil }
        } else {
            table[key] = entry
        }
        return events
    }

    /// ACK routing (RFC 3261 17.2.3, RFC 6026 8.7). An ACK for a non-2xx final carries the
    /// INVITE's branch and is consumed by its transaction. An ACK for a 2xx has a branch of its
    /// own and belongs to the dialog; it is matched to its Accepted transaction by Call-ID, CSeq
    /// number, From tag and the To tag of our 2xx, only to stop the 2xx retransmissions.
    mutating func receiveACK(_ ack: SIPMessage, now: Duration) -> ServerReceiveResult<Context> {
        if let key = TransactionKey.server(for: ack), case .serverInvite(let machine) = table[key]?.machine {
            switch machine.state {
            case .completed, .confirmed:
                _ = run(key, .ack, now: now)
                return .ackAbsorbed
            case .accepted:
                _ = run(key, .ack, now: now)
                return .ackForDialog
            case .proceeding, .terminated:
                return .ackForDialog
            }
        }
        if let dialog = DialogACKKey(ack), let key = acceptedByDialog[dialog] {
            _ = run(key, .ack, now: now)
        }
        return .ackForDialog
    }

    /// Restores the invariant `nextDeadline` relies on (the heap top is live) and compacts the
    /// heap once stale entries clearly dominate: a transaction holds at most three armed timers,
    /// so more than eight entries per transaction means most are dead.
    mutating func normalize() {
        while let top = queue.first, !isLive(top) { queue.popFirst() }
        if queue.count > 64, queue.count > 8 * table.count {
            let table = self.table
            queue.removeAll { entry in table[entry.payload.key]?.timers[entry.payload.timer] != entry.sequence }
        }
    }

    func isLive(_ entry: DeadlineHeap<ArmedTimer>.Entry) -> Bool {
        table[entry.payload.key]?.timers[entry.payload.timer] == entry.sequence
    }
}

extension TransactionManager.Machine {
    mutating func handle(_ input: TransactionManager.Input) -> [TransactionAction] {
        switch self {
        case .clientInvite(var machine):
            let event: ClientInviteTransaction.Event
            switch input {
            case .start: event = .start
            case .response(let response): event = .response(response)
            case .timer(let timer): event = .timer(timer)
            case .transportError: event = .transportError
            case .cancelSent: event = .cancelSent
            case .retransmittedRequest, .ack, .respond: return []
            }
            defer { self = .clientInvite(machine) }
            return machine.handle(event)
        case .clientNonInvite(var machine):
            let event: ClientNonInviteTransaction.Event
            switch input {
            case .start: event = .start
            case .response(let response): event = .response(response)
            case .timer(let timer): event = .timer(timer)
            case .transportError: event = .transportError
            case .retransmittedRequest, .ack, .respond, .cancelSent: return []
            }
            defer { self = .clientNonInvite(machine) }
            return machine.handle(event)
        case .serverInvite(var machine):
            let event: ServerInviteTransaction.Event
            switch input {
            case .retransmittedRequest: event = .retransmittedRequest
            case .ack: event = .ack
            case .respond(let response): event = .respond(response)
            case .timer(let timer): event = .timer(timer)
            case .transportError: event = .transportError
            case .start, .response, .cancelSent: return []
            }
            defer { self = .serverInvite(machine) }
            return machine.handle(event)
        case .serverNonInvite(var machine):
            let event: ServerNonInviteTransaction.Event
            switch input {
            case .retransmittedRequest: event = .retransmittedRequest
            case .respond(let response): event = .respond(response)
            case .timer(let timer): event = .timer(timer)
            case .transportError: event = .transportError
            case .start, .response, .ack, .cancelSent: return []
            }
            defer { self = .serverNonInvite(machine) }
            return machine.handle(event)
        }
    }
}
