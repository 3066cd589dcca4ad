import Yams

/// Active health monitoring of one trunk: SIP OPTIONS probes and the hysteresis that turns their
/// results into the trunk's health state (key `trunks[].health`, a mapping, optional).
///
/// Why hysteresis rather than "last probe wins": the field guides' first trap is flapping, traffic
/// moving back and forth because one lost packet looked like an outage and one answer looked like a
/// recovery. A trunk therefore goes down only after `down_after` failed probes in a row, comes back
/// only after `up_after` good ones, and then takes traffic only after `recovery_hold_s` of sustained
/// health; a failure burst within `probation_s` of that fail-back sends it straight back down. The
/// state machine that applies these numbers is `TrunkHealth` (Routing); docs/HEALTH.md has its table.
///
/// The defaults are production values (15 s probes, 3 failures, 2 successes, 5 minutes of hold);
/// the lab shortens them (1 s probes, 10 s hold) so that a failover demo takes seconds.
public struct TrunkHealthSettings: Sendable, Equatable {
    /// Whether the SBC sends OPTIONS probes to this trunk (key `probe`, default true).
    ///
    /// Why a switch: the platform side of a contact center often answers OPTIONS with nothing
    /// useful, or is a cluster behind a load balancer that the SBC should not poll; Retry-After
    /// quarantine, passive failures and operator locks still apply to a trunk that is not probed.
    public var probe: Bool

    /// Time between two probes (key `probe_interval_s`, default 15 s, range 1-3600).
    ///
    /// Why 15 s: with `down_after` 3 a dead carrier is out of rotation within about 45 s from probes
    /// alone (passive failures on live calls usually catch it sooner), at one small request per
    /// interval, which carriers tolerate without rate-limiting the SBC.
    public var probeInterval: Duration

    /// How long a probe waits for its response before counting as failed (key `probe_timeout_ms`,
    /// default 2000 ms, range 100-60000, less than the interval).
    ///
    /// Why less than the interval: every probe must be decided before the next one is sent, or a
    /// slow carrier would have several probes in flight and the consecutive counts would lose their
    /// order.
    public var probeTimeout: Duration

    /// Exact status codes of a probe's final response that mean "alive" (key `alive_codes`, items
    /// such as `404`; default none beyond the classes).
    public var aliveCodes: Set<Int>

    /// Whole classes, by first digit, whose responses mean "alive" (key `alive_codes`, items such as
    /// `2xx`; default `[2xx]`).
    ///
    /// Why configurable: many carriers answer OPTIONS with 404, 405 or 403 because they do not
    /// implement it or do not know our From user, yet take INVITEs fine; for them any answer proves
    /// that their SIP stack is there. The default trusts only 2xx.
    public var aliveClasses: Set<Int>

    /// Failed probes in a row that take the trunk down (key `down_after`, default 3, range 1-100).
    /// The first failure only marks it degraded (still selectable). Why 3: the field guides' rule
    /// ("set this to at least 3 to account for jitter").
    public var downAfter: Int

    /// Successful probes in a row that move a down trunk to recovering (key `up_after`, default 2,
    /// range 1-100). Why fewer than `down_after`: recovery is guarded by the hold as well.
    public var upAfter: Int

    /// How long a recovering trunk must stay healthy before it takes traffic again (key
    /// `recovery_hold_s`, default 300 s, range 0-86400; 0 = fail back as soon as `up_after` is met).
    ///
    /// Why 5 minutes: the guides ask for "a sustained recovery period of five minutes before
    /// executing demotion"; a carrier recovering from an outage often flaps for a while, and every
    /// premature fail-back costs callers post-dial delay.
    public var recoveryHold: Duration

    /// After a fail-back (recovering to up), how long a single failover-worthy failure on a live
    /// call sends the trunk straight back down (key `probation_s`, default 60 s, range 0-3600;
    /// 0 = no probation).
    ///
    /// Why: a carrier that answered probes for the whole hold can still fail under real load; the
    /// first calls after fail-back are the evidence, and waiting for the passive window to fill
    /// again would fail several more callers.
    public var probation: Duration

    /// Media-path probes: a periodic test call to an echo number whose RTP must come back (key
    /// `media_probe`, a mapping, optional; default none). See ``MediaProbeSettings``.
    public var mediaProbe: MediaProbeSettings?

    public static let defaultProbeInterval: Duration = .seconds(15)
    public static let defaultProbeTimeout: Duration = .milliseconds(2000)
    public static let defaultAliveClasses: Set<Int> = [2]
    public static let defaultDownAfter = 3
    public static let defaultUpAfter = 2
    public static let defaultRecoveryHold: Duration = .seconds(300)
    public static let defaultProbation: Duration = .seconds(60)

    /// Creates health settings; every argument defaults to the documented default.
    public init(probe: Bool = true,
                probeInterval: Duration = TrunkHealthSettings.defaultProbeInterval,
                probeTimeout: Duration = TrunkHealthSettings.defaultProbeTimeout,
                aliveCodes: Set<Int> = [],
                aliveClasses: Set<Int> = TrunkHealthSettings.defaultAliveClasses,
                downAfter: Int = TrunkHealthSettings.defaultDownAfter,
                upAfter: Int = TrunkHealthSettings.defaultUpAfter,
                recoveryHold: Duration = TrunkHealthSettings.defaultRecoveryHold,
                probation: Duration = TrunkHealthSettings.defaultProbation,
                mediaProbe: MediaProbeSettings? = nil) {
        self.probe = probe
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.aliveCodes = aliveCodes
        self.aliveClasses = aliveClasses
        self.downAfter = downAfter
        self.upAfter = upAfter
        self.recoveryHold = recoveryHold
        self.probation = probation
        self.mediaProbe = mediaProbe
    }

    /// Whether a probe answered with the final status `status` proves the trunk alive: a listed
    /// code, or a code of a listed class. Provisional responses (1xx) never decide a probe.
    public func isAlive(status: Int) -> Bool {
        guard (200...699).contains(status) else { return false }
        return aliveCodes.contains(status) || aliveClasses.contains(status / 100)
    }
}

extension TrunkHealthSettings {
    /// The keys of `trunks[].health`.
    static let keys = ["probe", "probe_interval_s", "probe_timeout_ms", "alive_codes", "down_after", "up_after",
                       "recovery_hold_s", "probation_s", "media_probe"]

    static let probeIntervalRange = 1...3600
    static let probeTimeoutRange = 100...60_000
    static let countRange = 1...100
    static let recoveryHoldRange = 0...86_400
    static let probationRange = 0...3600

    /// What one `alive_codes` item may be, for messages.
    static let aliveItemDescription = "a final status code 200-699 such as 404, or a class 2xx-6xx"

    /// Reads `health` under `reader` (a trunk's mapping); nil when absent (the defaults apply).
    /// Wrong values are reported and keep their defaults.
    static func read(_ trunk: MappingReader) -> TrunkHealthSettings? {
        trunk.nested("health", keys: keys) { reader in
            var settings = TrunkHealthSettings()
            settings.probe = reader.boolean("probe") ?? settings.probe
            let interval = reader.seconds("probe_interval_s", in: probeIntervalRange)
            let timeout = reader.milliseconds("probe_timeout_ms", in: probeTimeoutRange)
            settings.probeInterval = interval ?? settings.probeInterval
            settings.probeTimeout = timeout ?? settings.probeTimeout
            let intervalUsable = interval != nil || reader.value("probe_interval_s") == nil
            if timeout != nil, intervalUsable, settings.probeTimeout >= settings.probeInterval {
                reader.problems.report(reader.path("probe_timeout_ms"),
                                       "must be less than probe_interval_s (\(settings.probeInterval.components.seconds) s), "
                                           + "got \(Int(settings.probeTimeout / .milliseconds(1))) ms: "
                                           + "each probe must be decided before the next one is sent")
            } else if timeout == nil, interval != nil, reader.value("probe_timeout_ms") == nil,
                      settings.probeTimeout >= settings.probeInterval {
                reader.problems.report(reader.path("probe_interval_s"),
                                       "must be more than probe_timeout_ms (default 2000 ms), got "
                                           + "\(settings.probeInterval.components.seconds) s: set probe_timeout_ms below "
                                           + "the interval, so that each probe is decided before the next one is sent")
            }
            if let alive = readAlive(reader) {
                settings.aliveCodes = alive.codes
                settings.aliveClasses = alive.classes
            }
            settings.downAfter = reader.integer("down_after", in: countRange) ?? settings.downAfter
            settings.upAfter = reader.integer("up_after", in: countRange) ?? settings.upAfter
            settings.recoveryHold = reader.seconds("recovery_hold_s", in: recoveryHoldRange) ?? settings.recoveryHold
            settings.probation = reader.seconds("probation_s", in: probationRange) ?? settings.probation
            settings.mediaProbe = MediaProbeSettings.read(reader)
            return settings
        }
    }

    /// `alive_codes`: a non-empty list of codes and classes, each once. Nil when absent or when
    /// any item is wrong (already reported), so the default stays.
    private static func readAlive(_ reader: MappingReader) -> (codes: Set<Int>, classes: Set<Int>)? {
        guard let items = reader.sequence("alive_codes") else { return nil }
        let key = "alive_codes"
        guard !items.isEmpty else {
            if !reader.problems.hasProblem(at: reader.path(key)) {
                reader.problems.report(reader.path(key), "must list at least one item (\(aliveItemDescription)); "
                    + "without one no probe could ever succeed. To stop probing, set probe: false")
            }
            return nil
        }
        var codes: Set<Int> = [], classes: Set<Int> = []
        var seen: [String: Int] = [:]
        var valid = true
        for (position, item) in items.enumerated() {
            guard case let .scalar(scalar) = item.node, !MappingReader.isNull(item.node) else {
                reader.problems.report(item.path, at: item.node.mark,
                                       "must be \(aliveItemDescription), got \(MappingReader.describe(item.node))")
                valid = false
                continue
            }
            let text = scalar.string.lowercased()
            let normalized: String
            if text.count == 3, text.hasSuffix("xx"), let digit = Int(text.prefix(1)) {
                guard (2...6).contains(digit) else {
                    reader.problems.report(item.path, at: item.node.mark, digit == 1
                        ? "1xx responses are provisional and never decide a probe; list final classes 2xx-6xx"
                        : "must be \(aliveItemDescription), got \(MappingReader.describe(item.node))")
                    valid = false
                    continue
                }
                classes.insert(digit)
                normalized = text
            } else if let code = MappingReader.parseInteger(scalar.string) {
                guard (200...699).contains(code) else {
                    reader.problems.report(item.path, at: item.node.mark, (100...199).contains(code)
                        ? "\(code) is provisional and never decides a probe; list final codes 200-699"
                        : "must be \(aliveItemDescription), got \(MappingReader.describe(item.node))")
                    valid = false
                    continue
                }
                codes.insert(code)
                normalized = String(code)
            } else {
                reader.problems.report(item.path, at: item.node.mark,
                                       "must be \(aliveItemDescription), got \(MappingReader.describe(item.node))")
                valid = false
                continue
            }
            if let earlier = seen[normalized] {
                reader.problems.report(item.path, at: item.node.mark, "\(normalized) is already listed at \(key)[\(earlier)]")
                continue
            }
            seen[normalized] = position
        }
        return valid ? (codes, classes) : nil
    }
}
