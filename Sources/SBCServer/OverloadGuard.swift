import AdminAPI
import Glibc
import SBCConfig

/// The signalling loop's protection state (docs/OVERLOAD.md): admission of new calls, the
/// per-source rate limit for strangers, the loop-lag sampler's bookkeeping and the memory trim
/// after a storm. A class so the server, which cannot grow stored properties in extensions,
/// holds it once; loop-confined like the server.
final class OverloadGuard {
    /// How often the loop-lag sampler's timer is due.
    static let lagTick: Duration = .milliseconds(10)
    /// Live signalling state (calls + transactions) below which there is nothing worth giving back.
    static let trimMinimumState = 1000
    /// Least time between two memory trims (each holds the loop for tens of milliseconds).
    static let trimInterval: Duration = .seconds(5)

    var admission: AdmissionControl
    /// The 503s of refused calls, built from the INVITE's bytes.
    var refusals: StatelessRefusal
    var strangers: SourceRateLimiter<String>
    let metrics: OverloadMetrics
    let settings: OverloadSettings
    let unknownSource: UnknownSourcePolicy
    /// The overload state last told to the B2BUA and the metrics.
    var reportedOverloaded = false
    /// Largest lag since the last once-a-second publication.
    var worstLag: Duration = .zero
    /// Memory follows the load: the live signalling state at its highest since memory was last
    /// given back, and when that was. Once the state has fallen to a quarter of that peak, the
    /// tables are shrunk and freed heap is returned (`SignallingServer.returnMemoryIfLoadFell`).
    var peakLiveState = 0
    var lastTrim: Duration
    /// Transport counters already published (the metrics take deltas).
    var publishedClosures: [String: Int] = [:]

    init(configuration: SBCConfiguration, metrics: OverloadMetrics, now: Duration) {
        settings = configuration.overload
        unknownSource = configuration.security.unknownSource
        admission = AdmissionControl(settings: configuration.overload, now: now)
        refusals = StatelessRefusal(tagPrefix: SignallingServer.refusalTagPrefix,
                                    retryAfter: configuration.overload.retryAfter,
                                    server: configuration.security.serverHeader)
        strangers = SourceRateLimiter(settings: configuration.security.rateLimit, now: now)
        lastTrim = now
        self.metrics = metrics
    }

    /// Resident set size in bytes (/proc/self/statm), for the trim's log line and the bench.
    static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = String(decoding: buffer[..<count], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
