import Media
import SBCConfig

/// Latching per trunk (`trunks[].latching`, docs/MEDIA.md "Latching and strict source"): each
/// side of the relay session latches under its own trunk's policy, so a platform behind NAT may
/// latch on any source while the carriers stay strict; and a media timeout caused by a latch
/// refusing the party's real source says so.
extension B2BUA {
    /// The relay's policy for a trunk's side; nil leaves the relay's own (`media.latching`).
    static func latchPolicy(of trunk: TrunkSettings) -> SourceLatchPolicy? {
        trunk.latching.map { $0 == .any ? .anySource : .signalledAddress }
    }

    /// Stamps each side of every stream with its trunk's latching: the caller's trunk on side a,
    /// the active carrier leg's on side b (a new carrier leg brings its own).
    func setLatching(_ spec: inout MediaSessionSpec, call: Call) {
        let a = Self.latchPolicy(of: call.a.trunk)
        let b = Self.latchPolicy(of: (call.carrierLegs.last ?? call.a).trunk)
        guard a != nil || b != nil else { return }
        for index in spec.streams.indices {
            spec.streams[index].a.latching = a
            spec.streams[index].b.latching = b
        }
    }

    /// The text of a media timeout's BYE Reason and log line: `Media timeout: no RTP from
    /// platform for 4 s`, and when packets did arrive but from a source the latch refused,
    /// where from and what to do: `(142 packets arrived from 127.0.0.20:40012, not the
    /// signalled 127.0.0.10; set trunks[].latching: any for a party behind NAT)`.
    static func mediaTimeoutText(party: String, seconds: Int64, unexpected: UnexpectedMediaSource?) -> String {
        var text = "Media timeout: no RTP from \(party) for \(seconds) s"
        guard let unexpected else { return text }
        text += " (\(unexpected.summary)"
        if !unexpected.latched, unexpected.policy == .signalledAddress {
            text += "; set trunks[].latching: any for a party behind NAT"
        }
        return text + ")"
    }
}
