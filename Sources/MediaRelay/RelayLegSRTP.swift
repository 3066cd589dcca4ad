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

    init(keys: SDESStreamKeys) {
        self.keys = keys
        do throws(SRTPSetupError) {
            let inbound = try SRTPContext(keys: keys, direction: .inbound)
            outbound = try SRTPContext(keys: keys, direction: .outbound)
            self.inbound = inbound
            failure = nil
        } catch {
            inbound = nil
            outbound = nil
            failure = error
        }
    }
}
