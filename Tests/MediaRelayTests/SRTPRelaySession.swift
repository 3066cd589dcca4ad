import Media
import MediaRelay
import SDP

/// A relay with one session on it: side a an SRTP party, side b a plain peer, as most SRTP tests
/// need. The relay stops when the fixture goes away.
final class SRTPRelaySession {
    let recorder = EventRecorder()
    let relay: MediaRelay
    let base: UInt16
    let id: MediaSessionID
    let a: SRTPTestParty
    let b: TestPeer
    var spec: MediaSessionSpec

    /// Side a's party on `base + 4`, b's peer on `base + 6`; the session applied (and waited
    /// for) unless `apply` is false.
    init(base: UInt16, suite: SRTPCryptoSuite, seed: UInt8, mki: SDPCryptoMKI? = nil,
         policy: SourceLatchPolicy = .signalledAddress, apply: Bool = true,
         configure: (inout MediaSessionSpec) -> Void = { _ in }) throws {
        relay = try RelayTest.relay(recorder, policy: policy)
        self.base = base
        id = MediaSessionID(UInt64(base))
        a = try SRTPTestParty(MediaRelaySRTPTests.partyA, base + 4, suite: suite, seed: seed, mki: mki)
        b = try TestPeer(MediaRelaySRTPTests.partyB, base + 6)
        spec = MediaRelaySRTPTests.spec(id: UInt64(base), base: base, a: a.media, aKeys: a.keys, b: b.media)
        configure(&spec)
        if apply {
            self.apply()
            _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        }
    }

    deinit { relay.stopAndJoin() }

    func apply() {
        relay.submit(.apply(spec), worker: 0)
    }

    /// Destroys the session and returns its final statistics.
    func destroy() -> MediaSessionStatistics? {
        relay.submit(.destroy(id), worker: 0)
        return recorder.closed(id)
    }

    /// Sends `plain` from b to the relay's b-side RTP port.
    func sendFromB(_ plain: [UInt8]) throws {
        try b.send(plain, to: MediaRelaySRTPTests.relayHost, base + 2)
    }

    var counters: MediaRelayCounters { RelayTest.waitCounters(relay) { _ in true } }
}
