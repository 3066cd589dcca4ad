extension TrunkStateChange.Cause {
    /// `media_probe.fail_after` media-path probes in a row failed: the carrier's SIP answers but
    /// its media did not come back.
    public static let mediaPathFailed = "media_path_failed"
    /// A passing media-path probe lifted the media gate of a down trunk whose OPTIONS probes had
    /// already proven it alive: it recovers (the hold, and approval in a sticky group, still apply).
    public static let mediaPathRecovered = "media_path_recovered"
}

/// Media-path probes (`trunks[].health.media_probe`, docs/HEALTH.md): test calls whose RTP must
/// come back. Their failures are their own cause, and they gate recovery the way a missing
/// registration does: while the media path is failed, OPTIONS successes count but do not bring
/// the trunk back; a passing media probe lifts the gate, and the trunk then recovers once it has
/// its `up_after` good OPTIONS probes (or at once, for a trunk that is not OPTIONS-probed), through
/// the recovery hold as after any outage.
extension TrunkHealth {
    /// A media probe failed (no RTP back, or the call was not answered): `detail` says how. Below
    /// `fail_after` in a row only the counters move (the trunk stays selectable, its state
    /// unchanged); at `fail_after` the media gate closes and an `up`, `degraded` or `recovering`
    /// trunk goes **down** with cause `media_path_failed`. Under a lock only the counters and
    /// the gate move; an unlock then finds the trunk down.
    public mutating func mediaProbeFailed(detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        consecutiveMediaFailures += 1
        mediaProbesFailed += 1
        lastMediaProbePassed = false
        let failAfter = settings.mediaProbe?.failAfter ?? 1
        guard consecutiveMediaFailures >= failAfter else { return changes }
        mediaPathFailed = true
        guard !isLocked, healthState != .down else { return changes }
        let count = consecutiveMediaFailures == 1 ? "a media probe failed" : "\(consecutiveMediaFailures) media probes in a row failed"
        changes += setHealth(.down, TrunkStateChange.Cause.mediaPathFailed, "\(count) (last: \(detail)); "
                                 + "OPTIONS alone will not bring the trunk back, a passing media probe will", now: now)
        return changes
    }

    /// A media probe passed: RTP came back. Resets the failure count and lifts the media gate.
    /// A trunk that is down only because of that gate (no missing registration, no lock) then
    /// recovers: to `recovering` now, cause `media_path_recovered`, when its OPTIONS probes have
    /// already answered `up_after` times since it went down (or it is not OPTIONS-probed); else
    /// the next good OPTIONS probes take it there as usual (row 5).
    public mutating func mediaProbePassed(detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        consecutiveMediaFailures = 0
        lastMediaProbePassed = true
        guard mediaPathFailed else { return changes }
        mediaPathFailed = false
        guard !isLocked, healthState == .down, !registrationMissing else { return changes }
        let probed = settings.probe
        guard !probed || successesTowardRecovery >= settings.upAfter else { return changes }
        changes += setHealth(.recovering, TrunkStateChange.Cause.mediaPathRecovered,
                             "media probe passed (\(detail))"
                                 + (probed ? " and \(successesTowardRecovery) OPTIONS probes answered" : "")
                                 + "; fail-back after \(Self.format(settings.recoveryHold)) of sustained health"
                                 + (failBack == .sticky ? " and an operator's approval" : ""),
                             now: now)
        changes += advance(to: now)  // a zero hold fails back at once
        return changes
    }
}
