import SBCConfig

/// How one media-path probe ended: the `result` label of `sbc_media_probe_total` and the word in
/// logs and the trunks API (`mediaProbe.lastResult`).
public enum MediaProbeResult: String, Sendable, Equatable, CaseIterable {
    /// The call was answered and at least `min_received` RTP packets came back.
    case passed
    /// The call was answered but too little RTP came back (or the answer named no usable
    /// media address): the media path is dead. Counts toward `fail_after`.
    case noMedia = "no_media"
    /// The call was not answered with a 200 in `answer_timeout_s` (refused, timed out, transport
    /// error, a challenge that could not be answered). Counts toward `fail_after`: a carrier that
    /// cannot complete a call has no media path either.
    case callFailed = "call_failed"
    /// The SBC could not run the probe itself (no free media port, a socket it could not bind,
    /// the SBC overloaded while the probe waited): neither a pass nor a failure.
    case skipped

    /// Whether the result counts as a failure of the trunk's media path.
    public var isFailure: Bool { self == .noMedia || self == .callFailed }

    /// Judges a finished probe call and says why, in a sentence for the audit detail.
    public static func judge(_ outcome: TestCall.Outcome, settings: MediaProbeSettings) -> (MediaProbeResult, String) {
        guard outcome.answered else {
            let what = switch outcome.verdict {
            case .timeout: "not answered within \(milliseconds(settings.answerTimeout) / 1000) s"
                + (outcome.status.map { " (last \($0))" } ?? " (no response)")
            case .unreachable: "refused: \(outcome.status.map(String.init) ?? "-") \(outcome.reason)"
            case .error, .reachable: "failed: \(outcome.reason)"
            }
            return (.callFailed, "probe call to \(settings.number) \(what)")
        }
        guard let media = outcome.media else {
            return (.skipped, "no media report arrived for the answered probe call")
        }
        if let failure = media.localFailure {
            return (.skipped, "the SBC could not send the probe's RTP: \(failure)")
        }
        if let problem = media.answerProblem {
            return (.noMedia, "answered, but \(problem)")
        }
        let counts = "\(media.received) of \(media.sent) RTP packets came back"
        if media.received >= settings.minReceived {
            let first = media.firstReturn.map { ", the first after \(milliseconds($0)) ms" } ?? ""
            return (.passed, counts + first + (media.echoed == 0 ? " (not our own SSRC: media from the far end)" : ""))
        }
        return (.noMedia, "answered, but \(counts) within \(milliseconds(settings.timeout)) ms (\(settings.minReceived) needed)"
                    + (media.icmpError.map { "; \($0)" } ?? ""))
    }

    static func milliseconds(_ duration: Duration) -> Int { Int((duration / .milliseconds(1)).rounded()) }
}
