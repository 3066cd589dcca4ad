import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem

/// Multi-stream updates and malformed input; ports 46940-46999.
@Suite("MediaRelay streams")
struct MediaRelayStreamTests {
    @Test("garbage is dropped and never latches the port")
    func garbageNeverLatches() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder, policy: .anySource)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(RelayTest.partyA, 46948)
        let b = try TestPeer(RelayTest.partyB, 46949)
        let id = MediaSessionID(40)
        var spec = RelayTest.spec(id: 40, base: 46940, a: a.media, b: b.media, bMux: true)
        spec.streams[0].a.localRTCPPort = nil
        spec.streams[0].a.remoteRTCP = nil
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try a.send([0x00, 0x01, 0x00, 0x08] + [UInt8](repeating: 0, count: 16), to: RelayTest.relayHost, 46940)  // STUN-like
        try a.send([0x80, 0x00, 0x00], to: RelayTest.relayHost, 46940)                                            // too short
        #expect(b.drain().isEmpty)
        #expect(recorder.count { if case .latched = $0 { return true } else { return false } } == 0)
        try RelayTest.sendRTP(from: a, to: 46940, count: 1)
        #expect(b.receive(count: 1).count == 1)
        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsReceived == 3)
        #expect(stats.a.packetsDropped == 2)
        #expect(stats.a.packetsForwarded == 1)
    }

    @Test("an update adds and removes streams; removed streams still count in the final figures")
    func streamsComeAndGo() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let audioA = try TestPeer(RelayTest.partyA, 46990)
        let audioB = try TestPeer(RelayTest.partyB, 46991)
        let videoA = try TestPeer(RelayTest.partyA, 46992)
        let videoB = try TestPeer(RelayTest.partyB, 46993)
        let id = MediaSessionID(41)
        let audio = RelayTest.spec(id: 41, base: 46960, a: audioA.media, b: audioB.media).streams[0]
        var video = RelayTest.spec(id: 41, base: 46970, a: videoA.media, b: videoB.media).streams[0]
        video.index = 1
        var spec = MediaSessionSpec(id: id, logID: "call-41", streams: [audio])
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try RelayTest.sendRTP(from: audioA, to: 46960, count: 3)
        #expect(audioB.receive(count: 3).count == 3)

        // Re-INVITE adds video: audio keeps its sockets and latch.
        spec.streams = [audio, video]
        relay.submit(.apply(spec), worker: 0)
        usleep(50_000)
        try RelayTest.sendRTP(from: videoA, to: 46970, count: 4, ssrc: 0x7777)
        #expect(videoB.receive(count: 4).count == 4)
        try RelayTest.sendRTP(from: audioA, to: 46960, count: 2, firstSequence: 4)
        #expect(audioB.receive(count: 2).count == 2)
        #expect(recorder.count { if case .latched(_, .a, _) = $0 { return true } else { return false } } == 2)

        // Video removed again: its ports close, its packets stay counted.
        spec.streams = [audio]
        relay.submit(.apply(spec), worker: 0)
        usleep(50_000)
        #expect(throws: Never.self) { _ = try TestPeer(RelayTest.relayHost, 46970) }
        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsReceived == 9)
        #expect(stats.a.packetsForwarded == 9)
        #expect(stats.a.latchedSource == audioA.media)
    }
}
