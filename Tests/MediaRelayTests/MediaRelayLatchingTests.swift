import Glibc
import Media
import MediaRelay
import SBCSystem
import Testing

/// Latching per side (`MediaLegSpec.latching`, a trunk's `latching`) and what the latches
/// refused: a side that times out while a stranger's packets were dropped reports them.
@Suite("Media relay latching per side", .serialized)
struct MediaRelayLatchingTests {
    @Test("side a latches any source while side b stays strict")
    func latchingPerSide() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)   // the relay's own policy: signalled
        defer { relay.stopAndJoin() }
        let natted = try TestPeer(RelayTest.partyA2, 48110)   // the platform's real source
        let b = try TestPeer(RelayTest.partyB, 48120)
        let stranger = try TestPeer(RelayTest.stranger, 48130)
        var spec = RelayTest.spec(id: 81, base: 48100, a: MediaAddress(host: RelayTest.partyA, port: 48110), b: b.media)
        spec.streams[0].a.latching = .anySource
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: natted, to: 48100, count: 5)
        #expect(b.receive(count: 5).count == 5, "side a (any) latched a source its SDP does not name")
        #expect(recorder.latched(MediaSessionID(81), side: .a) == natted.media)
        try RelayTest.sendRTP(from: b, to: 48102, count: 3)
        #expect(natted.receive(count: 3).count == 3, "and media goes back to where it came from")

        try RelayTest.sendRTP(from: stranger, to: 48102, count: 4, ssrc: 0x9999)
        #expect(natted.drain().isEmpty, "side b (signalled) drops a stranger")
        relay.submit(.destroy(MediaSessionID(81)), worker: 0)
        let statistics = try #require(recorder.closed(MediaSessionID(81)))
        #expect(statistics.b.sourceRejections == 4)
        #expect(statistics.b.lastRejectedSource == stranger.media)
        #expect(statistics.a.sourceRejections == 0 && statistics.a.lastRejectedSource == nil)
    }

    @Test("a timeout while a stranger's packets were refused names their source and count")
    func timeoutNamesTheUnexpectedSource() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let natted = try TestPeer(RelayTest.partyA2, 48210)
        let b = try TestPeer(RelayTest.partyB, 48220)
        let id = MediaSessionID(82)
        let spec = RelayTest.spec(id: 82, base: 48200, a: MediaAddress(host: RelayTest.partyA, port: 48210), b: b.media,
                                  timeouts: MediaTimeouts(active: .milliseconds(400), hold: nil), armed: true)
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        // A's packets all come from another address than its SDP names (a NAT, a second interface).
        try RelayTest.sendRTP(from: natted, to: 48200, count: 30)
        #expect(b.drain(quiet: .milliseconds(50)).isEmpty, "nothing of A's is relayed under signalled")
        let fired = recorder.wait(timeout: .seconds(2)) { event -> UnexpectedMediaSource?? in
            if case .timeout(let timedOut, .a, _, let unexpected) = event, timedOut == id { return .some(unexpected) }
            return nil
        }
        let reported = try #require(fired).0
        let unexpected = try #require(reported)
        #expect(unexpected.packets == 30)
        #expect(unexpected.source == natted.media)
        #expect(unexpected.expected == MediaAddress(host: RelayTest.partyA, port: 48210))
        #expect(!unexpected.latched && unexpected.policy == .signalledAddress)
        #expect(unexpected.summary == "30 packets arrived from \(natted.media), not the signalled \(RelayTest.partyA)")
        let silentB = recorder.wait(timeout: .milliseconds(500)) { event -> UnexpectedMediaSource?? in
            if case .timeout(let timedOut, .b, _, let unexpected) = event, timedOut == id { return .some(unexpected) }
            return nil
        }
        #expect(try #require(silentB).0 == nil, "B was silent too, but nothing arrived for it from anywhere")
        relay.submit(.destroy(id), worker: 0)
        let statistics = try #require(recorder.closed(id))
        #expect(statistics.a.sourceRejections == 30 && statistics.a.lastRejectedSource == natted.media)
    }

    @Test("a silent side with no stranger either reports nothing unexpected")
    func plainTimeoutHasNoUnexpectedSource() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let id = MediaSessionID(83)
        let spec = RelayTest.spec(id: 83, base: 48300, a: MediaAddress(host: RelayTest.partyA, port: 48310),
                                  b: MediaAddress(host: RelayTest.partyB, port: 48320),
                                  timeouts: MediaTimeouts(active: .milliseconds(200), hold: nil), armed: true)
        relay.submit(.apply(spec), worker: 0)
        let fired = recorder.wait(timeout: .seconds(1)) { event -> UnexpectedMediaSource?? in
            if case .timeout(let timedOut, .a, _, let unexpected) = event, timedOut == id { return .some(unexpected) }
            return nil
        }
        let unexpected = try #require(fired).0
        #expect(unexpected == nil)
    }

    @Test("an update that changes a side's policy reopens its latch under the new one")
    func policyChangeReopensTheLatch() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let natted = try TestPeer(RelayTest.partyA2, 48410)
        let b = try TestPeer(RelayTest.partyB, 48420)
        var spec = RelayTest.spec(id: 84, base: 48400, a: MediaAddress(host: RelayTest.partyA, port: 48410), b: b.media)
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try RelayTest.sendRTP(from: natted, to: 48400, count: 3)
        #expect(b.drain().isEmpty, "refused under the relay's signalled policy")

        spec.streams[0].a.latching = .anySource
        relay.submit(.apply(spec), worker: 0)
        usleep(50_000)
        try RelayTest.sendRTP(from: natted, to: 48400, count: 3, firstSequence: 4)
        #expect(b.receive(count: 3).count == 3, "latched under any")
        relay.submit(.destroy(MediaSessionID(84)), worker: 0)
        _ = recorder.closed(MediaSessionID(84))
    }
}
