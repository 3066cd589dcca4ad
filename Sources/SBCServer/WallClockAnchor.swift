import Glibc

/// Converts the SBC's monotonic instants (immune to clock steps, used for every timer and
/// duration) to wall-clock unix seconds for CDRs, the audit log and the admin API, anchored
/// once per batch.
struct WallClockAnchor {
    let monotonicNow: Duration
    let wallNow: Double

    init(monotonicNow: Duration) {
        self.monotonicNow = monotonicNow
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        wallNow = Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    func wall(_ instant: Duration) -> Double { wallNow - Self.seconds(monotonicNow - instant) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
