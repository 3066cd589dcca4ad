import Media
import SDP

/// A command as a worker's mailbox carries it: what signalling asked for, plus the SRTP contexts
/// the relay's setup thread built for it, so the worker only installs them (a few pointer
/// stores) instead of stalling every session's packets while keys are derived and OpenSSL keyed.
struct RelayCommand: Sendable {
    /// Contexts for one side of one stream, for the keys that side has in the command's spec.
    struct PreparedSRTP: Sendable {
        var stream: Int
        var side: MediaSide
        var srtp: RelayLegSRTP
    }

    var command: MediaCommand
    /// Only for the sides whose keys differ from the previous command's: the others keep the
    /// contexts the worker already holds.
    var srtp: [PreparedSRTP] = []

    /// The contexts prepared for `keys` on `side` of stream `stream`, if any.
    func prepared(stream: Int, side: MediaSide, keys: SDESStreamKeys) -> RelayLegSRTP? {
        srtp.first { $0.stream == stream && $0.side == side && $0.srtp.keys == keys }?.srtp
    }
}
