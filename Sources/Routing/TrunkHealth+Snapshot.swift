import SBCConfig

extension TrunkHealth {
    /// What a trunk's health looks like at one moment, without the caller's clock: times are
    /// relative (`inState`, `quarantineRemaining`), so the value can be published to the admin API,
    /// stored by the store thread, and restored after a restart whose clock has another origin.
    ///
    /// Codable with the property names as keys and every `Duration` as seconds (a `Double`), so
    /// that it reads the same in JSON and in a stored row; absent optional keys decode as
    /// nil/0, so rows written by an older version still restore.
    public struct Snapshot: Sendable, Equatable, Codable {
        /// The visible state.
        public var state: TrunkHealthState
        /// The state probes decided, under a quarantine or lock (`up`, `degraded`, `down`, `recovering`).
        public var healthState: TrunkHealthState
        public var cause: String
        public var detail: String
        /// How long the trunk has been in ``state``.
        public var inState: Duration
        public var lockedBy: String?
        public var lockReason: String?
        public var awaitingApproval: Bool
        /// Time left of a Retry-After quarantine (also one remembered under a lock); nil when none.
        public var quarantineRemaining: Duration?
        /// Time left of the recovery hold while it runs; nil otherwise.
        public var recoveryHoldRemaining: Duration?
        /// Whether new calls may be sent to the trunk (`up` or `degraded`).
        public var isSelectable: Bool
        public var consecutiveFailures: Int
        public var consecutiveSuccesses: Int
        public var probesSent: Int
        public var probesFailed: Int
        public var lastProbeAlive: Bool?
        public var lastProbeRTT: Duration?
        /// The media gate (docs/HEALTH.md, "Media-path probes"): closed by `fail_after` failed
        /// media probes, lifted only by a passing one.
        public var mediaPathFailed: Bool
        /// Failed media probes in a row.
        public var consecutiveMediaFailures: Int

        public init(state: TrunkHealthState, healthState: TrunkHealthState? = nil, cause: String = "",
                    detail: String = "", inState: Duration = .zero, lockedBy: String? = nil,
                    lockReason: String? = nil, awaitingApproval: Bool = false, quarantineRemaining: Duration? = nil,
                    recoveryHoldRemaining: Duration? = nil, consecutiveFailures: Int = 0,
                    consecutiveSuccesses: Int = 0, probesSent: Int = 0, probesFailed: Int = 0,
                    lastProbeAlive: Bool? = nil, lastProbeRTT: Duration? = nil, mediaPathFailed: Bool = false,
                    consecutiveMediaFailures: Int = 0) {
            self.state = state
            self.healthState = healthState ?? Self.defaultHealthState(for: state, lastProbeAlive: lastProbeAlive)
            self.cause = cause
            self.detail = detail
            self.inState = inState
            self.lockedBy = lockedBy
            self.lockReason = lockReason
            self.awaitingApproval = awaitingApproval
            self.quarantineRemaining = quarantineRemaining
            self.recoveryHoldRemaining = recoveryHoldRemaining
            self.isSelectable = state.isSelectable
            self.consecutiveFailures = consecutiveFailures
            self.consecutiveSuccesses = consecutiveSuccesses
            self.probesSent = probesSent
            self.probesFailed = probesFailed
            self.lastProbeAlive = lastProbeAlive
            self.lastProbeRTT = lastProbeRTT
            self.mediaPathFailed = mediaPathFailed
            self.consecutiveMediaFailures = consecutiveMediaFailures
        }

        /// The health state under a lock or quarantine when a row does not say: what the last
        /// probe suggests, and `down` when there was none (the conservative choice).
        static func defaultHealthState(for state: TrunkHealthState, lastProbeAlive: Bool?) -> TrunkHealthState {
            switch state {
            case .up, .degraded, .down, .recovering: state
            case .quarantined, .locked: lastProbeAlive == true ? .recovering : .down
            }
        }

        private enum CodingKeys: String, CodingKey {
            case state, healthState, cause, detail, inState, lockedBy, lockReason, awaitingApproval
            case quarantineRemaining, recoveryHoldRemaining, isSelectable, consecutiveFailures
            case consecutiveSuccesses, probesSent, probesFailed, lastProbeAlive, lastProbeRTT
            case mediaPathFailed, consecutiveMediaFailures
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func seconds(_ key: CodingKeys) throws -> Duration? {
                try container.decodeIfPresent(Double.self, forKey: key).map { .milliseconds(Int64(($0 * 1000).rounded())) }
            }
            let state = try container.decode(TrunkHealthState.self, forKey: .state)
            let lastProbeAlive = try container.decodeIfPresent(Bool.self, forKey: .lastProbeAlive)
            self.init(
                state: state,
                healthState: try container.decodeIfPresent(TrunkHealthState.self, forKey: .healthState),
                cause: try container.decodeIfPresent(String.self, forKey: .cause) ?? "",
                detail: try container.decodeIfPresent(String.self, forKey: .detail) ?? "",
                inState: try seconds(.inState) ?? .zero,
                lockedBy: try container.decodeIfPresent(String.self, forKey: .lockedBy),
                lockReason: try container.decodeIfPresent(String.self, forKey: .lockReason),
                awaitingApproval: try container.decodeIfPresent(Bool.self, forKey: .awaitingApproval) ?? false,
                quarantineRemaining: try seconds(.quarantineRemaining),
                recoveryHoldRemaining: try seconds(.recoveryHoldRemaining),
                consecutiveFailures: try container.decodeIfPresent(Int.self, forKey: .consecutiveFailures) ?? 0,
                consecutiveSuccesses: try container.decodeIfPresent(Int.self, forKey: .consecutiveSuccesses) ?? 0,
                probesSent: try container.decodeIfPresent(Int.self, forKey: .probesSent) ?? 0,
                probesFailed: try container.decodeIfPresent(Int.self, forKey: .probesFailed) ?? 0,
                lastProbeAlive: lastProbeAlive,
                lastProbeRTT: try seconds(.lastProbeRTT),
                mediaPathFailed: try container.decodeIfPresent(Bool.self, forKey: .mediaPathFailed) ?? false,
                consecutiveMediaFailures: try container.decodeIfPresent(Int.self, forKey: .consecutiveMediaFailures) ?? 0)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            func seconds(_ value: Duration?, _ key: CodingKeys) throws {
                try container.encodeIfPresent(value.map { $0 / .seconds(1) }, forKey: key)
            }
            try container.encode(state, forKey: .state)
            try container.encode(healthState, forKey: .healthState)
            try container.encode(cause, forKey: .cause)
            try container.encode(detail, forKey: .detail)
            try seconds(inState, .inState)
            try container.encodeIfPresent(lockedBy, forKey: .lockedBy)
            try container.encodeIfPresent(lockReason, forKey: .lockReason)
            try container.encode(awaitingApproval, forKey: .awaitingApproval)
            try seconds(quarantineRemaining, .quarantineRemaining)
            try seconds(recoveryHoldRemaining, .recoveryHoldRemaining)
            try container.encode(isSelectable, forKey: .isSelectable)
            try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
            try container.encode(consecutiveSuccesses, forKey: .consecutiveSuccesses)
            try container.encode(probesSent, forKey: .probesSent)
            try container.encode(probesFailed, forKey: .probesFailed)
            try container.encodeIfPresent(lastProbeAlive, forKey: .lastProbeAlive)
            try seconds(lastProbeRTT, .lastProbeRTT)
            try container.encode(mediaPathFailed, forKey: .mediaPathFailed)
            try container.encode(consecutiveMediaFailures, forKey: .consecutiveMediaFailures)
        }
    }

    /// The trunk's health now, with relative times.
    public func snapshot(now: Duration) -> Snapshot {
        let holdRemaining: Duration? = !isLocked && healthState == .recovering && !awaitingApproval
            ? recoveringSince.map { max($0 + settings.recoveryHold - now, .zero) } : nil
        return Snapshot(state: state, healthState: healthState, cause: cause, detail: detail,
                        inState: max(now - since, .zero), lockedBy: lockedBy, lockReason: lockReason,
                        awaitingApproval: awaitingApproval,
                        quarantineRemaining: quarantineUntil.map { max($0 - now, .zero) },
                        recoveryHoldRemaining: holdRemaining,
                        consecutiveFailures: consecutiveFailures, consecutiveSuccesses: consecutiveSuccesses,
                        probesSent: probesSent, probesFailed: probesFailed, lastProbeAlive: lastProbeAlive,
                        lastProbeRTT: lastProbeRTT, mediaPathFailed: mediaPathFailed,
                        consecutiveMediaFailures: consecutiveMediaFailures)
    }
}
