/// What the B2BUA tells the driver about mid-call failovers, for metrics: the B2BUA has no clock
/// of its own to measure the SBC's reaction time, so the driver adds its processing time to
/// `waited`.
public enum MidCallFailoverReport: Sendable, Equatable {
    /// A critical call's carrier leg on `trunk` died of `trigger`.
    case triggered(trunk: String, trigger: MidCallTrigger)
    /// The replacement INVITE left for `trunk`, `waited` after the trigger (pacing).
    case invited(trunk: String, waited: Duration)
    /// From the dead leg's last media (or the trigger) to the new carrier's first packet.
    case audioGap(Duration)
    /// No replacement was possible; the call ended.
    case failed(cause: String)
}
