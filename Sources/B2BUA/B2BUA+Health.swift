import Logging
import Routing
import SBCConfig
import SBCTimers
import SIPCore
import SIPTransaction

/// Carrier health: OPTIONS probes on each monitored trunk, the per-trunk `TrunkHealth` state
/// machines they feed (with live-call failures and Retry-After), and operator commands.
extension B2BUA {
    /// What a probe timer is for.
    enum ProbeTimer: Sendable {
        case send(trunk: String)
        case timeout(trunk: String)
        /// The trunk's next media-path probe call (B2BUA+MediaProbes.swift).
        case media(trunk: String)
    }

    /// The probe in flight for a trunk.
    struct PendingProbe: Sendable {
        let key: TransactionKey
        let sentAt: Duration
        var timeoutSequence: UInt64
    }

    /// Why an operator command was refused.
    public enum OperatorError: Error, Sendable, Equatable {
        case unknownTrunk(String)
        case unknownGroup(String)
    }

    /// Creates every trunk's health state (restored from `snapshots` where the state database
    /// had one: locks, quarantines and down trunks survive a restart) and arms the first probe
    /// of each monitored trunk. Called once when the SBC starts.
    public mutating func startHealthMonitoring(now: Duration, snapshots: [String: TrunkHealth.Snapshot] = [:])
        -> [SIPOutbound]
    {
        outbox.removeAll(keepingCapacity: true)
        for trunk in routing.allTrunks {
            let policy = routing.failBackPolicy(of: trunk.name)
            if let snapshot = snapshots[trunk.name] {
                health[trunk.name] = TrunkHealth(restoring: snapshot, trunk: trunk.name, settings: trunk.health,
                                                 failBack: policy, now: now)
                logger.notice("trunk state restored", metadata: [
                    "trunk": "\(trunk.name)", "state": "\(snapshot.state.rawValue)",
                ])
            } else {
                health[trunk.name] = TrunkHealth(trunk: trunk.name, settings: trunk.health, failBack: policy, now: now)
            }
            if trunk.health.probe { probeTimers.push(.send(trunk: trunk.name), at: now) }
            if trunk.health.mediaProbe != nil { armMediaProbe(trunk.name, at: now) }
        }
        record([])
        return advance(to: now)
    }

    /// Fires due probe sends and probe timeouts, and the state machines' own deadlines.
    mutating func advanceHealth(to now: Duration) {
        while let top = probeTimers.first, top.deadline <= now {
            probeTimers.popFirst()
            switch top.payload {
            case .send(let trunk): sendProbe(to: trunk, now: top.deadline)
            case .media(let trunk): sendMediaProbe(to: trunk, sequence: top.sequence, now: top.deadline)
            case .timeout(let trunk):
                guard let pending = pendingProbes[trunk], pending.timeoutSequence == top.sequence else { continue }
                handle(transactions.abandonClient(pending.key), now: top.deadline)
                if ownLoad.overlaps(from: pending.sentAt, to: now) {
                    // The answer may be sitting unread in our own socket: not the carrier's fault.
                    pendingProbes[trunk] = nil
                    discardedProbes += 1
                    logger.notice("probe timeout discarded: the SBC was overloaded during the probe", metadata: [
                        "trunk": "\(trunk)", "sent_at": "\(pending.sentAt)",
                    ])
                    continue
                }
                probeFinished(trunk: trunk, alive: false, detail: "no answer to OPTIONS", now: top.deadline)
            }
        }
        guard let due = trunkHealthDeadline, due <= now else { return }
        for name in health.keys where (health[name]?.nextDeadline ?? now + .seconds(1)) <= now {
            record(health[name]!.advance(to: now))
        }
    }

    /// Read on every message (through `nextDeadline`), so the trunks' own deadline is cached and
    /// recomputed only when a trunk's health changes, in `record(_:)`.
    var nextHealthDeadline: Duration? {
        [probeTimers.first?.deadline, trunkHealthDeadline].compactMap { $0 }.min()
    }

    private mutating func sendProbe(to name: String, now: Duration) {
        guard let trunk = routing.trunk(named: name), trunk.health.probe, let zone = self.settings.zones[trunk.zone]
        else { return }
        let settings = trunk.health
        probeTimers.push(.send(trunk: name), at: now + settings.probeInterval)
        if pendingProbes[name] != nil { return }  // the previous one is still within its timeout
        var options = SIPMessage.request(.options, uri: Self.trunkTarget(user: nil, trunk: trunk, omittingDefaultPort: false))
        options.add(.via, zone.via(branch: ids.branch(), transport: trunk.transport).description)
        options.add(.maxForwards, "70")
        options.add(.from, "<sip:ping@\(zone.host)>;tag=\(ids.tag())")
        options.add(.to, "<sip:\(trunk.address)>")
        options.add(.callID, ids.callID())
        options.add(.cseq, "1 OPTIONS")
        self.settings.identify(&options, as: .userAgent)
        guard let key = TransactionKey.client(for: options) else { return }
        let timeout = probeTimers.push(.timeout(trunk: name), at: now + settings.probeTimeout)
        pendingProbes[name] = PendingProbe(key: key, sentAt: now, timeoutSequence: timeout)
        health[name]?.probeSent(now: now)
        let peer = SIPEndpoint(host: trunk.address, port: trunk.port, transport: trunk.transport, zone: trunk.zone)
        let context = TransactionContext(destination: peer, call: nil, purpose: .probe(trunk: name))
        handle(transactions.startClient(options, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// The driver's measure of the SBC's own load (docs/OVERLOAD.md): while and shortly after it
    /// is overloaded, probe timeouts are discarded rather than counted against carriers.
    public mutating func ownLoadChanged(overloaded: Bool, now: Duration) {
        ownLoad.update(overloaded: overloaded, now: now)
    }

    /// A final response (or a transport failure) for a probe.
    mutating func probeAnswered(trunk name: String, status: Int?, now: Duration) {
        guard pendingProbes[name] != nil, let trunk = routing.trunk(named: name) else { return }
        let alive = status.map { trunk.health.isAlive(status: $0) } ?? false
        probeFinished(trunk: name, alive: alive,
                      detail: status.map { "OPTIONS answered \($0)" } ?? "OPTIONS transport error", now: now)
    }

    mutating func probeFinished(trunk name: String, alive: Bool, detail: String, now: Duration) {
        guard let pending = pendingProbes.removeValue(forKey: name) else { return }
        record(health[name]?.probeResult(alive: alive, rtt: alive ? now - pending.sentAt : nil, detail: detail,
                                         now: now) ?? [])
    }

    /// Collects state changes for the driver and logs them (every carrier state change is logged).
    mutating func record(_ changes: [TrunkStateChange]) {
        for change in changes {
            logger.notice("trunk state", metadata: [
                "trunk": "\(change.trunk)", "from": "\(change.from.rawValue)", "to": "\(change.to.rawValue)",
                "cause": "\(change.cause)", "detail": "\(change.detail)", "actor": "\(change.actor ?? "-")",
            ])
            healthEvents.append(.trunk(change))
        }
        trunkHealthDeadline = health.values.compactMap(\.nextDeadline).min()
    }

    /// Hands over the state changes since the last call (audit, persistence, metrics, alerts).
    public mutating func takeHealthEvents() -> [TrunkHealthEvent] {
        defer { healthEvents.removeAll(keepingCapacity: true) }
        return healthEvents
    }

    /// Whether health monitoring lets a new call use `trunk`, and why not.
    func healthRefusal(of trunk: TrunkSettings, in group: TrunkGroupSettings?) -> String? {
        if let group, forcedFailover[group.name] != nil, primaryMember(of: group) == trunk.name {
            return "forced failover of \(group.name)"
        }
        guard let state = health[trunk.name], !state.isSelectable else { return nil }
        return "state \(state.state.rawValue)" + (state.awaitingApproval ? " (awaiting fail-back approval)" : "")
    }

    // MARK: Operator commands (admin API); automation never overrides them.

    public mutating func lock(trunk name: String, reason: String, actor: String, now: Duration) throws(OperatorError) {
        guard health[name] != nil else { throw .unknownTrunk(name) }
        record(health[name]!.lock(reason: reason, actor: actor, now: now))
    }

    public mutating func unlock(trunk name: String, reason: String, actor: String, now: Duration) throws(OperatorError) {
        guard health[name] != nil else { throw .unknownTrunk(name) }
        record(health[name]!.unlock(reason: reason, actor: actor, now: now))
    }

    /// Takes the group's primary out of selection until fail-back is approved.
    public mutating func forceFailover(group name: String, reason: String, actor: String, now: Duration)
        throws(OperatorError)
    {
        guard routing.group(named: name) != nil else { throw .unknownGroup(name) }
        forcedFailover[name] = actor
        logger.notice("group failover forced", metadata: ["group": "\(name)", "actor": "\(actor)", "reason": "\(reason)"])
        healthEvents.append(.group(name: name, forced: true, actor: actor, reason: reason, at: now))
    }

    /// Ends a forced failover and approves sticky members waiting to come back.
    public mutating func approveFailBack(group name: String, reason: String, actor: String, now: Duration)
        throws(OperatorError)
    {
        guard let group = routing.group(named: name) else { throw .unknownGroup(name) }
        if forcedFailover.removeValue(forKey: name) != nil {
            logger.notice("group fail-back approved", metadata: ["group": "\(name)", "actor": "\(actor)"])
            healthEvents.append(.group(name: name, forced: false, actor: actor, reason: reason, at: now))
        }
        for member in group.members where health[member]?.awaitingApproval == true {
            record(health[member]!.approveFailBack(actor: actor, now: now))
        }
    }

    public func trunkHealth(named name: String) -> TrunkHealth? { health[name] }
    public func isFailoverForced(group name: String) -> Bool { forcedFailover[name] != nil }

    /// Restores an operator's forced failover after a restart.
    public mutating func restoreForcedFailover(group name: String, actor: String) {
        if routing.group(named: name) != nil { forcedFailover[name] = actor }
    }
}
