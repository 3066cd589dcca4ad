import Media
import SDP

extension MediaStreamSpec {
    /// The SRTP keys the relay applies on `side`: the side's `srtp`, except on streams that are
    /// not RTP (T.38 `udptl`), which have no SRTP whatever the spec says. One definition for the
    /// command gate (what to build) and the worker (what to install), so both agree.
    func relaySRTP(_ side: MediaSide) -> SDESStreamKeys? {
        carriesRTP ? self[side].srtp : nil
    }
}
