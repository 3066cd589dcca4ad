import Yams

/// Media-path probes of one trunk: a periodic test call to an echo number whose RTP must come
/// back (key `trunks[].health.media_probe`, a mapping, optional; docs/HEALTH.md, "Media-path
/// probes").
///
/// Why: OPTIONS proves that a carrier's SIP stack answers, not that its calls carry audio. A
/// carrier whose media gateways are dead still answers OPTIONS and still answers INVITEs, so
/// every call it takes is silent until a person complains. A probe call to an echo service
/// (or any number that plays media) sends a few RTP packets and expects RTP back; `fail_after`
/// failed probes in a row take the trunk down with cause `media_path_failed`, and only a
/// passing media probe lifts that (an OPTIONS success alone does not).
///
/// The probe's RTP goes from a port of the media relay's range (`media.port_min`-`port_max`)
/// on the zone's media address, so media anchoring must be on (`media.enabled`).
public struct MediaProbeSettings: Sendable, Equatable {
    /// The number called (key `number`, required): the Request-URI user, such as a carrier's
    /// echo test number `+15550009999`. A `+` and 1-32 digits, or a SIP user of letters, digits,
    /// `*`, `.`, `_`, `-` (up to 64), for echo services named like `echo`.
    public var number: String
    /// The From user of the probe calls (key `caller`, required): a number the carrier accepts
    /// as a caller, such as one of your DIDs. The trunk's header profile rewrites it like any
    /// caller's.
    public var caller: String
    /// Time between two probe calls (key `interval_s`, default 60 s, range 2-86400), more than
    /// one probe's `answer_timeout_s` plus `timeout_ms`, so that each decides before the next.
    ///
    /// Why a minute: a probe is a billed call at many carriers; one a minute finds dead media
    /// within `fail_after` minutes, long before most callers would, at 1440 short calls a day.
    public var interval: Duration
    /// How long the probe call may take to be answered with a 200 (key `answer_timeout_s`,
    /// default 10 s, range 1-60). Not answered in time (or refused) counts as a failed probe.
    public var answerTimeout: Duration
    /// How long after the answer the RTP may take to come back (key `timeout_ms`, default 2000,
    /// range 100-30000): the packets are sent 20 ms apart from the answer on, and what has come
    /// back when this has passed is what counts.
    public var timeout: Duration
    /// RTP packets sent per probe, 20 ms apart (key `packets`, default 5, range 1-50).
    public var packets: Int
    /// Packets that must come back for the probe to pass (key `min_received`, default 1, range
    /// 1-`packets`). Why 1 by default: the probe proves a path, not its quality; one packet back
    /// through the carrier's media plane is the evidence, and a lossy path is the live calls'
    /// statistics' business.
    public var minReceived: Int
    /// Failed probes in a row that take the trunk down (key `fail_after`, default 2, range 1-100).
    /// Why 2: one probe call can fail for reasons of its own (a busy echo service); two in a row
    /// at the default interval is two minutes of evidence.
    public var failAfter: Int

    /// Spacing of a probe's RTP packets: one G.711 packet time.
    public static let packetSpacing: Duration = .milliseconds(20)
    public static let defaultInterval: Duration = .seconds(60)
    public static let defaultAnswerTimeout: Duration = .seconds(10)
    public static let defaultTimeout: Duration = .milliseconds(2000)
    public static let defaultPackets = 5
    public static let defaultMinReceived = 1
    public static let defaultFailAfter = 2

    public init(number: String, caller: String, interval: Duration = Self.defaultInterval,
                answerTimeout: Duration = Self.defaultAnswerTimeout, timeout: Duration = Self.defaultTimeout,
                packets: Int = Self.defaultPackets, minReceived: Int = Self.defaultMinReceived,
                failAfter: Int = Self.defaultFailAfter) {
        self.number = number
        self.caller = caller
        self.interval = interval
        self.answerTimeout = answerTimeout
        self.timeout = timeout
        self.packets = packets
        self.minReceived = minReceived
        self.failAfter = failAfter
    }

    /// The longest a probe can take once placed: the answer, then the RTP window.
    public var longestProbe: Duration { answerTimeout + timeout }
}

extension MediaProbeSettings {
    static let keys = ["number", "caller", "interval_s", "answer_timeout_s", "timeout_ms", "packets", "min_received",
                       "fail_after"]
    static let intervalRange = 2...86_400
    static let answerTimeoutRange = 1...60
    static let timeoutRange = 100...30_000
    static let packetsRange = 1...50
    static let failAfterRange = 1...100

    /// Reads `media_probe` under a trunk's `health` mapping; nil when absent. Wrong values are
    /// reported and keep their defaults.
    static func read(_ health: MappingReader) -> MediaProbeSettings? {
        health.nested("media_probe", keys: keys) { reader in
            var settings = MediaProbeSettings(number: "", caller: "")
            if reader.require("number", "the number the probe calls, such as the carrier's echo test number") {
                settings.number = reader.string("number") ?? ""
                if !settings.number.isEmpty, !isUser(settings.number) {
                    reader.problems.report(reader.path("number"), "must be a number such as +15550009999 or a SIP user "
                        + "of letters, digits, '*', '.', '_', '-' (at most 64), got \"\(settings.number)\"")
                }
            }
            if reader.require("caller", "the caller number of the probe calls, such as \"+15550000\"") {
                settings.caller = reader.string("caller") ?? ""
                if !settings.caller.isEmpty, !TrunkValidationSettings.isNumber(settings.caller) {
                    reader.problems.report(reader.path("caller"), "must be a number such as +15550000, got \"\(settings.caller)\"")
                }
            }
            let interval = reader.seconds("interval_s", in: intervalRange)
            let answer = reader.seconds("answer_timeout_s", in: answerTimeoutRange)
            let timeout = reader.milliseconds("timeout_ms", in: timeoutRange)
            settings.interval = interval ?? settings.interval
            settings.answerTimeout = answer ?? settings.answerTimeout
            settings.timeout = timeout ?? settings.timeout
            let timingsUsable = [("interval_s", interval), ("answer_timeout_s", answer), ("timeout_ms", timeout)]
                .allSatisfy { key, value in value != nil || reader.value(key) == nil }
            if timingsUsable, settings.longestProbe >= settings.interval {
                let longest = Int(settings.longestProbe / .milliseconds(1))
                reader.problems.report(reader.path(interval != nil ? "interval_s" : "answer_timeout_s"),
                                       "interval_s (\(settings.interval.components.seconds) s) must be more than "
                                           + "answer_timeout_s plus timeout_ms (\(longest) ms): each probe must be "
                                           + "decided before the next one is placed")
            }
            settings.packets = reader.integer("packets", in: packetsRange) ?? settings.packets
            if reader.value("min_received") != nil {
                let range = 1...max(1, settings.packets)
                settings.minReceived = reader.integer("min_received", in: range) ?? min(settings.minReceived, settings.packets)
            }
            settings.failAfter = reader.integer("fail_after", in: failAfterRange) ?? settings.failAfter
            return settings
        }
    }

    /// A dialable number (`TrunkValidationSettings.isNumber`) or a plain SIP user such as `echo`.
    static func isUser(_ text: String) -> Bool {
        if TrunkValidationSettings.isNumber(text) { return true }
        return (1...64).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "*._-".contains($0)) }
    }
}
