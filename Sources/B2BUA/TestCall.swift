import SBCConfig

/// One test call the SBC places itself through one trunk (DID validation, media probes), as a
/// sans-IO machine: fed the INVITE's responses and its timeout, it says what to send next
/// (CANCEL, or ACK and BYE) and, once decided, the outcome. docs/VALIDATION.md has the rules.
///
/// ```
///            18x (reachable: ringing)                 final (487, or a 2xx: ACK+BYE)
/// inviting ---------------------------> cancelling -------------------------------> finished
///    |  timeout after a provisional ------------^   (no final within cancelWait: finished, abandoned)
///    |  2xx with a media check: ACK    checking media --(report, or its time up: BYE)--> finished
///    +----------------------------------------^
///    |  2xx: ACK+BYE / 3xx-6xx / timeout before any provisional / transport error
///    +------------------------------------------------------------------------------> finished
/// ```
///
/// A CANCEL is only allowed once a provisional came (RFC 3261 9.1); a test call that heard
/// nothing is abandoned instead. The outcome decided when the CANCEL goes out (reachable on a
/// 180, timeout) stands whatever answers the CANCEL; a 2xx crossing it is ACKed and hung up.
///
/// A media probe (docs/HEALTH.md) is a test call with a media check: its 2xx is ACKed but the
/// dialog stays up (`acknowledge`) while the driver sends RTP and counts what comes back; the
/// report (`mediaChecked`) or, failing that, the check's window plus `mediaReportGrace` ends it
/// with a BYE (`hangUp`), the observation in the outcome.
public struct TestCall: Sendable {
    public typealias Reachability = TrunkValidationSettings.Reachability

    /// What a test call proved about its number.
    public enum Verdict: String, Sendable, Codable, CaseIterable {
        /// It rang (18x) or answered (2xx), as `reachable` asks.
        case reachable
        /// The carrier refused it with a final response (404, 484, 503, ...).
        case unreachable
        /// Nothing decided it within the timeout.
        case timeout
        /// The SBC could not complete the attempt: a transport error, a failed digest
        /// authentication, or the trunk was unusable.
        case error
    }

    public struct Outcome: Sendable, Equatable {
        /// The status that decided it (18x, 2xx, or the final), nil when nothing came.
        public var status: Int?
        public var reason: String
        /// From the INVITE to the first response other than 100 Trying.
        public var firstResponse: Duration?
        public var verdict: Verdict
        /// Whether the callee answered (a 2xx came, even across a CANCEL).
        public var answered: Bool
        /// What the media check saw (media probes only; nil when there was none, or when its
        /// report never came).
        public var media: MediaProbeObservation? = nil
    }

    /// What the driver does next.
    public enum Action: Sendable, Equatable {
        case cancel
        case acknowledgeAndHangUp
        /// ACK the 2xx and keep the dialog up: the media check runs now.
        case acknowledge
        /// End the dialog kept up for the media check with a BYE.
        case hangUp
        /// Stop the INVITE transaction's timers: nothing was heard, a CANCEL is not allowed.
        case abandon
        case finished(Outcome)
    }

    enum Phase: Sendable, Equatable {
        case inviting(provisional: Int?)
        case cancelling(Outcome)
        case checkingMedia(Outcome)
        case finished(Outcome)
    }

    public let reachable: Reachability
    public let startedAt: Duration
    /// When the call must have decided; once a CANCEL went out, when the SBC stops waiting for
    /// its INVITE's final response (`cancelWait`) instead of Timer B's 32 s.
    public private(set) var deadline: Duration
    /// How long a cancelled test call waits for the 487 (or a crossing 2xx to hang up).
    public static let cancelWait: Duration = .seconds(4)
    /// How long past its window a media check waits for the driver's report before it hangs up
    /// without one: the report is due at the window's end, from the same loop.
    public static let mediaReportGrace: Duration = .seconds(1)
    /// The media check's window after the answer (media probes); nil for a plain test call.
    public let mediaCheck: Duration?
    private(set) var phase: Phase = .inviting(provisional: nil)
    private var firstResponse: Duration?

    public init(reachable: Reachability, timeout: Duration, now: Duration, mediaCheck: Duration? = nil) {
        self.reachable = reachable
        self.mediaCheck = mediaCheck
        startedAt = now
        deadline = now + timeout
    }

    public var outcome: Outcome? {
        if case .finished(let outcome) = phase { return outcome }
        return nil
    }

    public var isInviting: Bool {
        if case .inviting = phase { return true }
        return false
    }

    /// A response to the INVITE (1xx-6xx). 401/407 reach it only when they could not be answered.
    public mutating func response(status: Int, reason: String, now: Duration) -> [Action] {
        if status > 100, firstResponse == nil { firstResponse = now - startedAt }
        switch phase {
        case .finished, .checkingMedia:
            // A 2xx of another fork (the B2BUA re-ACKs retransmissions of the kept answer itself).
            return (200..<300).contains(status) ? [.acknowledgeAndHangUp] : []
        case .cancelling(var outcome):
            guard status >= 200 else { return [] }
            if (200..<300).contains(status) {
                outcome.answered = true
                return finish(outcome, before: [.acknowledgeAndHangUp])
            }
            return finish(outcome)
        case .inviting:
            if status == 100 { return [] }
            if status < 200 {
                phase = .inviting(provisional: status)
                guard reachable == .ringing, status == 180 || status == 183 else { return [] }
                phase = .cancelling(decided(status, reason, .reachable))
                deadline = now + Self.cancelWait
                return [.cancel]
            }
            if status < 300 {
                let outcome = decided(status, reason, .reachable, answered: true)
                guard let mediaCheck else { return finish(outcome, before: [.acknowledgeAndHangUp]) }
                phase = .checkingMedia(outcome)
                deadline = now + mediaCheck + Self.mediaReportGrace
                return [.acknowledge]
            }
            let verdict: Verdict = status == 401 || status == 407 ? .error : .unreachable
            return finish(decided(status, reason, verdict))
        }
    }

    /// The deadline passed (`deadline`); nothing after it changes the outcome.
    public mutating func timedOut(now: Duration) -> [Action] {
        switch phase {
        case .finished:
            return []
        case .cancelling(let outcome):
            // Nobody answered the CANCEL: the outcome stands, the INVITE's timers stop.
            return finish(outcome, before: [.abandon])
        case .checkingMedia(let outcome):
            // The driver's report never came: hang up, the outcome without an observation.
            return finish(outcome, before: [.hangUp])
        case .inviting(let provisional):
            let outcome = decided(provisional, provisional == nil ? "no response" : "no answer in time", .timeout)
            guard provisional != nil else { return finish(outcome, before: [.abandon]) }
            phase = .cancelling(outcome)
            deadline = now + Self.cancelWait
            return [.cancel]
        }
    }

    /// The INVITE could not be sent or its transaction failed at the transport.
    public mutating func failed(reason: String, now: Duration) -> [Action] {
        switch phase {
        case .finished: return []
        case .cancelling(let outcome): return finish(outcome)
        case .checkingMedia(let outcome): return finish(outcome, before: [.hangUp])
        case .inviting: return finish(decided(nil, reason, .error))
        }
    }

    /// The driver's report of the media check (`MediaProbeObservation`): the call ends with a
    /// BYE and the observation goes into the outcome. Ignored outside the check.
    public mutating func mediaChecked(_ observation: MediaProbeObservation, now: Duration) -> [Action] {
        guard case .checkingMedia(var outcome) = phase else { return [] }
        outcome.media = observation
        return finish(outcome, before: [.hangUp])
    }

    private func decided(_ status: Int?, _ reason: String, _ verdict: Verdict, answered: Bool = false) -> Outcome {
        Outcome(status: status, reason: reason, firstResponse: firstResponse, verdict: verdict, answered: answered)
    }

    private mutating func finish(_ outcome: Outcome, before actions: [Action] = []) -> [Action] {
        phase = .finished(outcome)
        return actions + [.finished(outcome)]
    }
}
