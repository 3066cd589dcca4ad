import Media
import SBCConfig
import SBCTimers
import SIPCore
import SIPTransaction

/// What the B2BUA keeps for the test calls it places itself: each call's machine and dialog,
/// their deadlines, the DID validation runs they serve and what those runs reported. (Media-path
/// probes, the other purpose, keep their own state in `MediaProbeLedger`.)
struct TestCallRegistry: Sendable {
    /// Why a test call was placed, which says where its outcome goes.
    enum Purpose: Sendable {
        case validation(run: String, did: String)
        /// A media-path probe of `trunk`, with the settings it was placed with (a reload may
        /// change them meanwhile).
        case mediaProbe(trunk: String, settings: MediaProbeSettings)
    }

    /// One test call in flight.
    struct Active: Sendable {
        var machine: TestCall
        /// The dialog the SBC originated (remote tag and target learnt from a 2xx).
        var leg: CallLeg
        var invite: SIPMessage
        var key: TransactionKey
        let purpose: Purpose
        /// Relay ports the offer named, released when the call ends.
        let ports: MediaPortPair?
        var timeoutSequence: UInt64

        /// A 401/407 was answered (B2BUA+Authentication.swift): the retried INVITE is the call's now.
        mutating func retried(key: TransactionKey, invite: SIPMessage) {
            self.key = key
            self.invite = invite
            leg.localCSeq = invite.cseq?.number ?? leg.localCSeq
        }
    }

    var active: [UInt64: Active] = [:]
    /// Test call id, by its deadline.
    var timers = DeadlineHeap<UInt64>()
    var nextID: UInt64 = 1
    /// The validation run in progress, by trunk (one at a time per trunk).
    var runs: [String: DIDValidationRun] = [:]
    /// What happened since the driver last took it (persistence, audit, metrics).
    var events: [ValidationEvent] = []
    /// The last finished run of each trunk, for `require_validation`.
    var latest: [String: ValidationStanding] = [:]

    var nextDeadline: Duration? {
        [timers.first?.deadline, runs.values.lazy.compactMap(\.nextStart).min()].compactMap { $0 }.min()
    }
}
