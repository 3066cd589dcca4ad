import SBCTimers
import SIPCore

/// The transaction layer: a table of the four RFC 3261 17 state machines keyed by
/// `TransactionKey`, plus one timer heap for all of them.
///
/// Sans-IO: it never reads a clock or touches a socket. Every input carries `now` (a monotonic
/// `Duration` since any origin the driver likes), every output is a list of
/// `TransactionEvent`s to carry out in order, and the driver runs a single OS timer set to
/// `nextDeadline`, calling `advance(to:)` when it expires. A value type, so a test can copy the
/// whole layer, and `Sendable` when `Context` is, so the driver's actor or thread owns it.
///
/// Timers are never cancelled in the heap, only forgotten (see `DeadlineHeap`): each transaction
/// records the id of each armed timer, and a popped entry fires only if its transaction still
/// exists and still holds that id. A terminated transaction's timers therefore cannot fire, even
/// if a new transaction later reuses its key.
public struct TransactionManager<Context: Sendable>: Sendable {
    enum Machine: Sendable {
        case clientInvite(ClientInviteTransaction)
        case clientNonInvite(ClientNonInviteTransaction)
        case serverInvite(ServerInviteTransaction)
        case serverNonInvite(ServerNonInviteTransaction)
    }

    struct Entry: Sendable {
        var machine: Machine
        /// Set at creation; the TU may fill in more later (`updateContext`).
        var context: Context
        /// Id of the armed instance of each pending timer.
        var timers = ArmedTimerSlots()
        /// Set while a server INVITE transaction is indexed for 2xx-ACK matching.
        var dialogACK: DialogACKKey?
    }

    public let timers: TransactionTimers
    var table: [TransactionKey: Entry] = [:]
    /// Which timer of which transaction a heap entry arms; `Entry.timers` holds the sequence of
    /// the live instance.
    struct ArmedTimer: Sendable {
        let key: TransactionKey
        let timer: TransactionTimer
    }

    var queue = DeadlineHeap<ArmedTimer>()
    /// Accepted server INVITE transactions by the dialog identity an ACK for their 2xx carries.
    var acceptedByDialog: [DialogACKKey: TransactionKey] = [:]

    public init(timers: TransactionTimers = TransactionTimers()) {
        self.timers = timers
    }

    /// Number of live transactions, client and server.
    public var count: Int { table.count }

    // MARK: Client side

    /// Creates a client transaction for `request` (which already carries its top Via with a
    /// fresh branch) and sends it. ACK is not a transaction (RFC 3261 17): an ACK passed here is
    /// just sent. A request that cannot be keyed (no Via branch or CSeq) or whose key is already
    /// in use is refused with no events: both are TU bugs that retransmitting could only hide.
    public mutating func startClient(_ request: SIPMessage, reliable: Bool, context: Context,
                                     now: Duration) -> [TransactionEvent<Context>]
    {
        defer { normalize() }
        if request.method == .ack { return [.send(request, context)] }
        guard let key = TransactionKey.client(for: request), table[key] == nil else { return [] }
        let machine: Machine = request.method == .invite
            ? .clientInvite(ClientInviteTransaction(request: request, reliable: reliable, timers: timers))
            : .clientNonInvite(ClientNonInviteTransaction(request: request, reliable: reliable, timers: timers))
        table[key] = Entry(machine: machine, context: context)
        return run(key, .start, now: now)
    }

    /// Hands a received response to its client transaction. `nil` when none matches: a stray,
    /// typically a 2xx retransmission after Timer M, which the TU may answer by re-sending its
    /// ACK (RFC 3261 13.2.2.4).
    public mutating func receiveResponse(_ response: SIPMessage, now: Duration) -> [TransactionEvent<Context>]? {
        defer { normalize() }
        guard response.statusCode != nil, let key = TransactionKey.client(for: response), table[key] != nil else {
            return nil
        }
        return run(key, .response(response), now: now)
    }

    /// The TU sent a CANCEL for the INVITE client transaction `key`: if no final arrives within
    /// 64*T1, the transaction times out and is destroyed (RFC 3261 9.1). Not needed for any
    /// other transaction; unknown keys are ignored.
    public mutating func cancelSent(_ key: TransactionKey, now: Duration) -> [TransactionEvent<Context>] {
        defer { normalize() }
        return run(key, .cancelSent, now: now)
    }

    /// The TU gives up on the client transaction `key` before any response (a trunk that did
    /// not answer within its first-provisional time): it stops retransmitting and is removed at
    /// once. A CANCEL cannot be sent before a provisional (RFC 3261 9.1), so silence is all that
    /// is left; a late response then matches nothing and is treated as stray.
    public mutating func abandonClient(_ key: TransactionKey) -> [TransactionEvent<Context>] {
        defer { normalize() }
        guard key.role == .client, let entry = table.removeValue(forKey: key) else { return [] }
        return [.terminated(key, entry.context)]
    }

    // MARK: Server side

    /// Classifies a received request: new work for the TU, a retransmission absorbed (with the
    /// last response re-sent), or an ACK. `context` is kept only for a new transaction; the
    /// events of a retransmission carry the one the transaction was created with.
    public mutating func receiveRequest(_ request: SIPMessage, reliable: Bool, context: Context,
                                        now: Duration) -> ServerReceiveResult<Context>
    {
        defer { normalize() }
        guard let method = request.method else { return .retransmission([]) }
        if method == .ack { return receiveACK(request, now: now) }
        guard let key = TransactionKey.server(for: request) else { return .retransmission([]) }
        if table[key] != nil { return .retransmission(run(key, .retransmittedRequest, now: now)) }
        let machine: Machine = method == .invite
            ? .serverInvite(ServerInviteTransaction(request: request, reliable: reliable, timers: timers))
            : .serverNonInvite(ServerNonInviteTransaction(request: request, reliable: reliable, timers: timers))
        table[key] = Entry(machine: machine, context: context)
        return .newTransaction(key)
    }

    /// Sends the TU's response on server transaction `key`. Unknown keys (the transaction timed
    /// out meanwhile) and responses the state does not allow (a 1xx after the final) give `[]`.
    public mutating func respond(_ key: TransactionKey, with response: SIPMessage,
                                 now: Duration) -> [TransactionEvent<Context>]
    {
        defer { normalize() }
        guard key.role == .server else { return [] }
        let events = run(key, .respond(response), now: now)
        if response.statusClass == 2, var entry = table[key], entry.dialogACK == nil,
           case .serverInvite(let machine) = entry.machine, machine.state == .accepted,
           let dialog = DialogACKKey(response)
        {
            entry.dialogACK = dialog
            table[key] = entry
            acceptedByDialog[dialog] = key
        }
        return events
    }

    /// The transport could not deliver for transaction `key` (ICMP error, connection refused or
    /// reset): the TU is told and the transaction is destroyed (RFC 3261 17.1.4, 17.2.4).
    public mutating func transportFailed(_ key: TransactionKey, now: Duration) -> [TransactionEvent<Context>] {
        defer { normalize() }
        return run(key, .transportError, now: now)
    }

    // MARK: Queries

    public func context(of key: TransactionKey) -> Context? { table[key]?.context }

    /// Lets the TU fill in what it learned after the transaction started (a server INVITE's call
    /// once the call exists), so later events for the key carry it. No effect for an unknown key.
    public mutating func updateContext(of key: TransactionKey, _ update: (inout Context) -> Void) {
        guard table[key] != nil else { return }
        update(&table[key]!.context)
    }

    /// The request that created a client or server transaction.
    public func request(of key: TransactionKey) -> SIPMessage? {
        switch table[key]?.machine {
        case .clientInvite(let machine): machine.request
        case .clientNonInvite(let machine): machine.request
        case .serverInvite(let machine): machine.request
        case .serverNonInvite(let machine): machine.request
        case nil: nil
        }
    }

    /// Whether `key` is a server INVITE transaction that has not sent a final response yet: the
    /// condition under which a CANCEL is answered with 200 and the INVITE with 487 (RFC 3261 9.2).
    public func isServerInviteProceeding(_ key: TransactionKey) -> Bool {
        if case .serverInvite(let machine) = table[key]?.machine { return machine.state == .proceeding }
        return false
    }

    // MARK: Time

    /// The earliest pending timer, for the driver's single OS timer. Exact: every mutating call
    /// leaves a live timer (or nothing) at the top of the heap.
    public var nextDeadline: Duration? { queue.first?.deadline }

    /// Fires every timer due at or before `now`, in deadline order. A timer re-armed while firing
    /// counts from its own deadline, not from `now`, so a late call catches up on the exact RFC
    /// schedule (and fires the catch-up retransmissions in this same call).
    public mutating func advance(to now: Duration) -> [TransactionEvent<Context>] {
        var events: [TransactionEvent<Context>] = []
        while let top = queue.first, top.deadline <= now {
            queue.popFirst()
            let armed = top.payload
            guard table[armed.key]?.timers[armed.timer] == top.sequence else { continue }
            table[armed.key]?.timers[armed.timer] = nil
            events += run(armed.key, .timer(armed.timer), now: top.deadline)
        }
        normalize()
        return events
    }
}
