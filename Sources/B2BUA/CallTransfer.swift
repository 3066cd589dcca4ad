import Routing
import SBCConfig

extension Call {
    /// A transfer the SBC carries out itself (REFER under `refer: terminate`, B2BUA+Refer.swift):
    /// the call is in `failingOver` with this set, its new carrier leg goes to the transfer target
    /// while the leg it replaces stays up, and everything needed to go back if the target cannot
    /// be reached. docs/SIP.md, "Transfers (REFER)".
    struct Transfer: Sendable {
        /// The leg the REFER came from: its implicit subscription gets the NOTIFYs.
        let referrer: LegReference
        /// The REFER's CSeq number: the `id` of its subscription (`Event: refer;id=...`, RFC 3515 §2.4.6).
        let eventID: UInt32
        /// False when the REFER asked for no subscription (`Refer-Sub: false`, RFC 4488): no NOTIFY.
        let notifies: Bool
        /// The carrier leg (index in `carrierLegs`) the transfer replaces; up until the target answers.
        let replacedLeg: Int
        /// The replaced leg's row in `attempts` (its answer), which ends with the transfer.
        let replacedAttempt: Int?
        /// The replaced leg's peer hung up meanwhile (a transferor leaves after 202): nothing is
        /// sent to it any more, and a transfer that fails then ends the call.
        var replacedLegEnded = false
        /// The call as it was, resumed when the transfer fails.
        let resume: Established
        let route: RouteDecision
        /// The trunk of the replaced leg: it still counts against that trunk's call limit.
        let trunk: TrunkSettings?
        let media: CallMedia?
        /// The Refer-To user (a number), for logs.
        let target: String
    }
}
