import Media
import SDP
import SRTP

/// One side's SRTP state for one stream: the context that unprotects what the side's party sends
/// (keyed with the party's key) and the one that protects what the relay sends it (the SBC's key
/// for that side), with the keys they came from.
///
/// The keys are kept so that an update can tell whether to keep the contexts: the same keys keep
/// them, and with them every SSRC's rollover counter and replay window; other keys replace them
/// whole. Built off the packet path (`init` derives the session keys of both contexts and keys
/// their four OpenSSL cipher contexts: a few to tens of microseconds), then handed to the worker
/// with the command that needs it.
struct RelayLegSRTP: Sendable {
    let keys: SDESStreamKeys
    /// Unprotects what the side sends; nil only when building failed.
    let inbound: SRTPContext?
    /// Protects what the relay sends the side; nil only when building failed.
    let outbound: SRTPContext?
    /// Why the contexts could not be built. The side stays secure without contexts: everything
    /// from it and to it is dropped, never relayed in the clear.
    let failure: SRTPSetupError?
    /// The contexts' ``SRTPContext/progressMark`` sum when their positions were last reported
    /// to signalling (`RelayWorker.reportSRTPPositions`).
    var reportedMark: UInt64 = 0

    /// `resume`: where these keys' streams stood in a previous process (restart recovery).
    init(keys: SDESStreamKeys, resume: SRTPLegPositions? = nil) {
        self.keys = keys
        do throws(SRTPSetupError) {
            let inbound = try SRTPContext(keys: keys, direction: .inbound)
            let outbound = try SRTPContext(keys: keys, direction: .outbound)
            for position in resume?.inbound ?? [] {
                inbound.resume(ssrc: position.ssrc, rtpIndex: position.rtpIndex, rtcpIndex: position.rtcpIndex)
            }
            for position in resume?.outbound ?? [] {
                outbound.resume(ssrc: position.ssrc, rtpIndex: position.rtpIndex, rtcpIndex: position.rtcpIndex)
            }
            self.inbound = inbound
            self.outbound = outbound
            failure = nil
        } catch {
            inbound = nil
            outbound = nil
            failure = error
        }
        reportedMark = progressMark
    }

    /// Grows whenever a stream of either context moved on enough to be worth reporting again.
    var progressMark: UInt64 { (inbound?.progressMark ?? 0) &+ (outbound?.progressMark ?? 0) }

    /// Both contexts' stream positions. Allocates: for reports only.
    var positions: SRTPLegPositions {
        func positions(_ context: SRTPContext?) -> [SRTPStreamPosition] {
            context?.streamPositions().map { SRTPStreamPosition(ssrc: $0.ssrc, rtpIndex: $0.rtpIndex,
                                                                rtcpIndex: $0.rtcpIndex) } ?? []
        }
        return SRTPLegPositions(inbound: positions(inbound), outbound: positions(outbound))
    }
}
