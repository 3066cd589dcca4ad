import SBCConfig

/// The health state machine of one trunk: OPTIONS probe results, passive failures on live calls,
/// Retry-After quarantines and operator locks in; the trunk's ``TrunkHealthState`` and the
/// ``TrunkStateChange``s to log, audit and alert on out. docs/HEALTH.md has the transition table.
///
/// Why a sans-IO value: the rules (hysteresis, recovery hold, probation, sticky fail-back, locks
/// that nothing automatic overrides) are where flapping and surprise fail-backs come from, so every
/// one of them is tested with a manual clock. Time is a `Duration` since an arbitrary origin that
/// the caller injects in every call; the value never reads a clock and never sends a probe. The
/// caller (the signalling thread) sends the probes, feeds their results, and calls
/// ``advance(to:)`` at ``nextDeadline``. Every event first runs the deadlines that are due, so a
/// caller that is late to call `advance` still gets the transitions in time order.
///
/// Two layers make up the state: the *health state* that probes and passive failures drive (`up`,
/// `degraded`, `down`, `recovering`; ``healthState``), and two overlays on top of it. A quarantine
/// hides the health state until its deadline, while probes keep driving it underneath, so the trunk
/// comes back as what the probes say at expiry. A lock freezes it: probes only update the counters,
/// and unlock restarts recovery from the last probe's answer.
public struct TrunkHealth: Sendable {
    /// The trunk's name, copied into every change.
    public let trunk: String
    /// The probe and hysteresis settings (`trunks[].health`). To apply a reloaded configuration,
    /// restore a new value from ``snapshot(now:)``.
    public let settings: TrunkHealthSettings
    /// The fail-back policy of the trunk's group (`sticky` if any group it is in is sticky).
    public let failBack: FailBackPolicy

    /// The state new calls see: ``isSelectable`` only for `up` and `degraded`.
    public private(set) var state: TrunkHealthState
    /// When ``state`` was entered.
    public private(set) var since: Duration
    /// The cause word of the last change (``TrunkStateChange/Cause``).
    public private(set) var cause: String
    /// The detail sentence of the last change.
    public private(set) var detail: String

    /// The operator who locked the trunk (an admin token's name), while it is locked.
    public private(set) var lockedBy: String?
    /// Why it was locked, while it is locked.
    public private(set) var lockReason: String?
    /// End of the current Retry-After quarantine. While locked it is remembered, not applied.
    public private(set) var quarantineUntil: Duration?
    /// Sticky fail-back: the trunk has recovered and held, and waits for ``approveFailBack(actor:now:)``.
    public private(set) var awaitingApproval: Bool

    /// Failed probes in a row (reset by a successful one).
    public private(set) var consecutiveFailures: Int
    /// Successful probes in a row (reset by a failed one).
    public private(set) var consecutiveSuccesses: Int
    /// Probes sent, ever (for metrics).
    public private(set) var probesSent: Int
    /// Probes failed, ever (for metrics).
    public private(set) var probesFailed: Int
    /// Round-trip time of the last probe; nil when it got no answer (timeout, transport error).
    public private(set) var lastProbeRTT: Duration?
    /// Whether the last probe proved the trunk alive; nil before the first result.
    public private(set) var lastProbeAlive: Bool?

    /// The state probes and passive failures have decided (`up`, `degraded`, `down` or
    /// `recovering`), which ``state`` shows unless a quarantine or lock covers it.
    public private(set) var healthState: TrunkHealthState

    /// Whether an operator lock is in force.
    private(set) var isLocked = false
    /// When the current recovery hold started (health state `recovering`).
    private(set) var recoveringSince: Duration?
    /// When the trunk went down (for the hold of a trunk that is not probed).
    var downSince: Duration?
    /// When the trunk last failed back (recovering to up), for the probation.
    private(set) var failedBackAt: Duration?
    /// Successful probes since the trunk went down: a trunk that was passively marked down while
    /// its probes kept succeeding must still see `up_after` fresh successes.
    var successesTowardRecovery = 0
    /// A registration trunk without its REGISTER binding (``registrationFailed(detail:now:)``):
    /// it stays down whatever its probes say until the binding is back.
    public internal(set) var registrationMissing = false
    /// Media-path probes (`health.media_probe`, TrunkHealth+MediaPath.swift): `fail_after` failed
    /// in a row closed the media gate; the trunk stays down whatever its OPTIONS probes say until
    /// a media probe passes.
    public internal(set) var mediaPathFailed = false
    /// Failed media probes in a row (reset by a passing one).
    public internal(set) var consecutiveMediaFailures = 0
    /// Media probes failed, ever (for the admin API).
    public internal(set) var mediaProbesFailed = 0
    /// Whether the last decided media probe passed; nil before the first.
    public internal(set) var lastMediaProbePassed: Bool?

    /// A trunk with no history: `up`, so that a freshly started SBC takes calls at once; probes
    /// take it down within `down_after` intervals if it is not there.
    public init(trunk: String, settings: TrunkHealthSettings, failBack: FailBackPolicy, now: Duration) {
        self.trunk = trunk
        self.settings = settings
        self.failBack = failBack
        state = .up
        healthState = .up
        since = now
        cause = TrunkStateChange.Cause.started
        detail = "no history; selectable until probes say otherwise"
        awaitingApproval = false
        consecutiveFailures = 0
        consecutiveSuccesses = 0
        probesSent = 0
        probesFailed = 0
    }

    /// The value after a restart, from the ``snapshot(now:)`` stored before it. Conservative: a
    /// locked trunk stays locked (who and why kept); a quarantine keeps its remaining time; a down
    /// trunk stays down until `up_after` probes answer; a recovering trunk starts its hold again
    /// (and still awaits approval if it did and the group is still sticky); a degraded trunk keeps
    /// its failure count. The probe counters carry over; the probation after a fail-back does not.
    public init(restoring snapshot: Snapshot, trunk: String, settings: TrunkHealthSettings,
                failBack: FailBackPolicy, now: Duration) {
        self.init(trunk: trunk, settings: settings, failBack: failBack, now: now)
        consecutiveFailures = snapshot.consecutiveFailures
        consecutiveSuccesses = snapshot.consecutiveSuccesses
        probesSent = snapshot.probesSent
        probesFailed = snapshot.probesFailed
        lastProbeAlive = snapshot.lastProbeAlive
        lastProbeRTT = snapshot.lastProbeRTT
        // Without a media probe nothing could ever lift the gate again.
        mediaPathFailed = settings.mediaProbe != nil && snapshot.mediaPathFailed
        consecutiveMediaFailures = settings.mediaProbe != nil ? snapshot.consecutiveMediaFailures : 0
        let health: TrunkHealthState = switch snapshot.healthState {
        case .up, .degraded, .down, .recovering: snapshot.healthState
        case .quarantined, .locked: Snapshot.defaultHealthState(for: snapshot.healthState,
                                                                lastProbeAlive: snapshot.lastProbeAlive)
        }
        enter(health, from: .up, now: now)
        healthState = health
        if health == .recovering, snapshot.awaitingApproval, failBack == .sticky {
            awaitingApproval = true
        }
        if snapshot.state == .locked {
            isLocked = true
            lockedBy = snapshot.lockedBy
            lockReason = snapshot.lockReason
        }
        if let remaining = snapshot.quarantineRemaining, remaining > .zero {
            quarantineUntil = now + remaining
        }
        state = isLocked ? .locked : quarantineUntil != nil ? .quarantined : healthState
        cause = TrunkStateChange.Cause.restored
        detail = "restored after a restart: was \(snapshot.state.rawValue)"
            + (snapshot.cause.isEmpty ? "" : " (\(snapshot.cause))")
    }

    /// Whether new calls may be sent to the trunk: `up` or `degraded` only.
    public var isSelectable: Bool { state.isSelectable }

    // MARK: - Probes

    /// Counts a probe the caller has just sent (for metrics; the result comes through
    /// ``probeResult(alive:rtt:detail:now:)``).
    public mutating func probeSent(now: Duration) {
        probesSent += 1
    }

    /// One probe's outcome: `alive` per ``TrunkHealthSettings/isAlive(status:)`` (false for a
    /// timeout or transport error), `rtt` when it got an answer, `detail` what happened
    /// (`"200 OK"`, `"timeout after 800 ms"`).
    public mutating func probeResult(alive: Bool, rtt: Duration?, detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        lastProbeRTT = rtt
        lastProbeAlive = alive
        if alive {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            successesTowardRecovery += 1
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            successesTowardRecovery = 0
            probesFailed += 1
        }
        guard !isLocked else { return changes }  // counters only: nothing automatic overrides a lock
        let cause = TrunkStateChange.Cause.self
        switch (healthState, alive) {
        case (.degraded, true):
            changes += setHealth(.up, cause.probeRecovered, "probe answered (\(detail)) after a failed probe", now: now)
        case (.down, true) where successesTowardRecovery >= settings.upAfter && !registrationMissing && !mediaPathFailed:
            changes += setHealth(.recovering, cause.probeRecovered,
                                 "\(successesTowardRecovery) probes in a row answered (last: \(detail)); "
                                     + "fail-back after \(Self.format(settings.recoveryHold)) of sustained health"
                                     + (failBack == .sticky ? " and an operator's approval" : ""),
                                 now: now)
            changes += advance(to: now)  // a zero hold fails back at once
        case (.up, false), (.degraded, false):
            if consecutiveFailures >= settings.downAfter {
                changes += setHealth(.down, cause.probeFailed,
                                     "\(consecutiveFailures) probes in a row failed (last: \(detail))", now: now)
            } else if healthState == .up {
                changes += setHealth(.degraded, cause.probeFailed,
                                     "probe failed (\(detail)): \(consecutiveFailures) of \(settings.downAfter) "
                                         + "before down; still selectable", now: now)
            }
        case (.recovering, false):
            changes += setHealth(.down, cause.probeFailed,
                                 "probe failed during recovery (\(detail)); the hold starts again after "
                                     + "\(settings.upAfter) good probes", now: now)
        default:
            break  // up stays up, down needs more successes, recovering waits for its hold
        }
        return changes
    }

    // MARK: - Passive health

    /// One failover-trigger failure on a live call (a 503, 408, timeout or transport error). Within
    /// `probation` after a fail-back it sends the trunk straight down: the first real calls are
    /// the evidence that the recovery was not real. Outside probation it changes nothing here; the
    /// caller keeps its own sliding window (`passive_failures` in `passive_window_s`) and calls
    /// ``passiveDown(detail:now:)`` when that trips.
    public mutating func passiveFailure(detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        guard !isLocked, healthState == .up || healthState == .degraded, let failedBackAt,
              now - failedBackAt < settings.probation else { return changes }
        changes += setHealth(.down, TrunkStateChange.Cause.burstAfterFailBack,
                             "failure on a live call \(Self.format(now - failedBackAt)) after fail-back, within the "
                                 + "\(Self.format(settings.probation)) probation: \(detail)", now: now)
        return changes
    }

    /// The caller's passive window tripped: too many failures on live calls. Takes an `up` or
    /// `degraded` trunk down; probes then bring it back through `recovering`.
    public mutating func passiveDown(detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        guard !isLocked, healthState == .up || healthState == .degraded else { return changes }
        changes += setHealth(.down, TrunkStateChange.Cause.passiveFailures, detail, now: now)
        return changes
    }

    // MARK: - Quarantine

    /// A 503 with Retry-After (already bounded by the group): no calls until `until`. A later
    /// deadline extends a quarantine, an earlier one does not shorten it. On a locked trunk the
    /// deadline is remembered and applies if the trunk is unlocked before it.
    public mutating func quarantine(until: Duration, detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        guard until > now else { return changes }
        if let current = quarantineUntil, current >= until { return changes }
        quarantineUntil = until
        changes += showOverlay(cause: TrunkStateChange.Cause.retryAfter,
                               detail: "quarantined for \(Self.format(until - now)): \(detail)", now: now)
        return changes
    }

    // MARK: - Operator

    /// An operator takes the trunk out of service, from any state; nothing automatic brings it back.
    /// Locking a locked trunk only updates who and why.
    public mutating func lock(reason: String, actor: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        lockedBy = actor
        lockReason = reason
        guard !isLocked else { return changes }
        isLocked = true
        awaitingApproval = false
        changes += showOverlay(cause: TrunkStateChange.Cause.operatorLock, detail: "locked by \(actor): \(reason)",
                               actor: actor, now: now)
        return changes
    }

    /// An operator returns the trunk to automatic control: `down` if the last probe failed (probes
    /// bring it back), otherwise `recovering`, so the recovery hold applies before it takes calls.
    /// A Retry-After quarantine that has not expired applies on top. A no-op on an unlocked trunk.
    public mutating func unlock(reason: String, actor: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        guard isLocked else { return changes }
        isLocked = false
        lockedBy = nil
        lockReason = nil
        let target: TrunkHealthState = lastProbeAlive == false || registrationMissing || mediaPathFailed
            ? .down : .recovering
        enter(target, from: healthState, now: now)
        healthState = target
        let outcome = registrationMissing ? "it is not registered, so it is down until its REGISTER succeeds"
            : mediaPathFailed ? "its media path failed, so it is down until a media probe passes"
            : target == .down
            ? "the last probe failed, so it is down until \(settings.upAfter) probes answer"
            : "recovering; fail-back after \(Self.format(settings.recoveryHold)) of sustained health"
                + (failBack == .sticky ? " and an operator's approval" : "")
        changes += showOverlay(cause: TrunkStateChange.Cause.operatorUnlock,
                               detail: "unlocked by \(actor): \(reason); \(outcome)", actor: actor, now: now)
        changes += advance(to: now)  // a zero hold
        return changes
    }

    /// Sticky fail-back: an operator lets a recovered trunk take calls again. Only when
    /// ``awaitingApproval``; otherwise a no-op. While a quarantine covers the trunk the approval
    /// is recorded and the trunk comes back `up` when the quarantine expires.
    public mutating func approveFailBack(actor: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        guard !isLocked, healthState == .recovering, awaitingApproval else { return changes }
        changes += setHealth(.up, TrunkStateChange.Cause.failBackApproved, "fail-back approved by \(actor)",
                             actor: actor, now: now)
        return changes
    }

    // MARK: - Time

    /// Runs every deadline due at `now`, in time order: quarantine expiry, the recovery hold, and
    /// the hold of a down trunk that is not probed. Each change carries its deadline as `at`.
    public mutating func advance(to now: Duration) -> [TrunkStateChange] {
        var changes: [TrunkStateChange] = []
        while let (deadline, event) = dueEvent(), deadline <= now {
            switch event {
            case .quarantineExpired:
                quarantineUntil = nil
                changes += showOverlay(cause: TrunkStateChange.Cause.quarantineExpired,
                                       detail: "Retry-After quarantine over; health is \(healthState.rawValue)"
                                           + (awaitingApproval ? " (awaiting fail-back approval)" : ""),
                                       now: deadline)
            case .recoveryHoldElapsed:
                changes += holdElapsed(at: deadline, what: "healthy for \(Self.format(settings.recoveryHold)) since recovering")
            case .unprobedHoldElapsed:
                changes += holdElapsed(at: deadline, what: "not probed; down for \(Self.format(settings.recoveryHold))")
            }
        }
        return changes
    }

    /// The earliest time ``advance(to:)`` has something to do, for the caller's timer.
    public var nextDeadline: Duration? { dueEvent()?.at }

    // MARK: - Internals

    private enum Event { case quarantineExpired, recoveryHoldElapsed, unprobedHoldElapsed }

    /// The earliest pending deadline and what it is.
    private func dueEvent() -> (at: Duration, event: Event)? {
        var candidates: [(Duration, Event)] = []
        if let quarantineUntil { candidates.append((quarantineUntil, .quarantineExpired)) }
        if !isLocked, healthState == .recovering, !awaitingApproval, let recoveringSince {
            candidates.append((recoveringSince + settings.recoveryHold, .recoveryHoldElapsed))
        }
        if !isLocked, !settings.probe, healthState == .down, !registrationMissing, !mediaPathFailed, let downSince {
            candidates.append((downSince + settings.recoveryHold, .unprobedHoldElapsed))
        }
        return candidates.min { $0.0 < $1.0 }
    }

    /// The recovery hold is over: `auto` fails back, `sticky` waits for an operator. The sticky
    /// case is the one change whose `from` and `to` are equal (`recovering`): the state stays, but
    /// an operator must hear that the trunk is ready.
    private mutating func holdElapsed(at deadline: Duration, what: String) -> [TrunkStateChange] {
        let cause = TrunkStateChange.Cause.recoveryHoldElapsed
        if failBack == .auto {
            return setHealth(.up, cause, "\(what); failing back", now: deadline)
        }
        var changes: [TrunkStateChange] = []
        if healthState == .down {
            changes += setHealth(.recovering, cause, "\(what); awaiting an operator's approval to fail back "
                + "(fail_back: sticky)", now: deadline)
        }
        awaitingApproval = true
        if changes.isEmpty, state == .recovering {
            let text = "\(what); awaiting an operator's approval to fail back (fail_back: sticky)"
            self.cause = cause
            self.detail = text
            changes.append(TrunkStateChange(trunk: trunk, from: .recovering, to: .recovering, cause: cause,
                                            detail: text, at: deadline))
        }
        return changes
    }

    /// Moves the health state and, when no overlay covers it, the visible state.
    mutating func setHealth(_ target: TrunkHealthState, _ cause: String, _ detail: String,
                                    actor: String? = nil, now: Duration) -> [TrunkStateChange] {
        guard target != healthState else { return [] }
        enter(target, from: healthState, now: now)
        healthState = target
        return showOverlay(cause: cause, detail: detail, actor: actor, now: now)
    }

    /// Bookkeeping on entering a health state.
    private mutating func enter(_ target: TrunkHealthState, from previous: TrunkHealthState, now: Duration) {
        awaitingApproval = false
        recoveringSince = target == .recovering ? now : nil
        switch target {
        case .down:
            downSince = now
            successesTowardRecovery = 0
            failedBackAt = nil
        case .up where previous == .recovering || previous == .down:
            failedBackAt = now
        default:
            break
        }
    }

    /// Recomputes the visible state (lock over quarantine over health) and reports the change.
    private mutating func showOverlay(cause: String, detail: String, actor: String? = nil,
                                      now: Duration) -> [TrunkStateChange] {
        let visible: TrunkHealthState = isLocked ? .locked : quarantineUntil != nil ? .quarantined : healthState
        guard visible != state else { return [] }
        let change = TrunkStateChange(trunk: trunk, from: state, to: visible, cause: cause, detail: detail,
                                      actor: actor, at: now)
        state = visible
        since = now
        self.cause = cause
        self.detail = detail
        return [change]
    }

    /// `10 s`, `800 ms`, `1.5 s`: durations in details, as operators write them in the config.
    static func format(_ duration: Duration) -> String {
        let milliseconds = Int((duration / .milliseconds(1)).rounded())
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        var fraction = String(milliseconds % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(milliseconds / 1000).\(fraction) s"
    }
}
