import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem
import SDP
import SRTP

/// SRTP termination on real loopback sockets: the relay on 127.0.62.1, parties on 127.0.62.2-4,
/// a stranger on 127.0.62.9; each test owns a block of ten ports in 47590-47699 (relay ports
/// base...base+3, parties base+4...base+9), used by no other test.
@Suite("MediaRelay SRTP")
struct MediaRelaySRTPTests {
    static let relayHost = "127.0.62.1"
    static let partyA = "127.0.62.2"
    static let partyB = "127.0.62.3"
    static let partyB2 = "127.0.62.4"
    static let stranger = "127.0.62.9"

    /// A one-stream session with side a (RTP `base`, RTCP `base + 1`) speaking SRTP with
    /// `aKeys`, side b plain unless `bKeys` is given.
    static func spec(id: UInt64, base: UInt16, a: MediaAddress?, aKeys: SDESStreamKeys?, b: MediaAddress?,
                     bKeys: SDESStreamKeys? = nil, bMux: Bool = false, timeouts: MediaTimeouts = .disabled,
                     armed: Bool = false) -> MediaSessionSpec {
        var spec = RelayTest.spec(id: id, base: base, a: a, b: b, bMux: bMux, timeouts: timeouts, armed: armed,
                                  relayHost: relayHost)
        spec.streams[0].a.srtp = aKeys
        spec.streams[0].b.srtp = bKeys
        return spec
    }

    /// Sends `plain` protected by `party` (a fresh sequence number each try) until `receiver`
    /// gets it, for the moment an update is applied; returns what arrived.
    static func sendUntilDelivered(from party: SRTPTestParty, to port: UInt16, firstSequence: UInt16, ssrc: UInt32,
                                   protected: Bool = true, at receiver: TestPeer) throws -> [UInt8]? {
        for attempt in 0..<40 {
            let plain = RelayTest.rtp(sequence: firstSequence &+ UInt16(attempt), ssrc: ssrc)
            try party.send(protected ? try party.protect(plain) : plain, to: port)
            if let got = receiver.receive(count: 1, timeout: .milliseconds(50)).first { return got.bytes }
        }
        return nil
    }

    // MARK: - Bridging

    @Test("SRTP from side a reaches plain side b as the original RTP and RTCP; b's plain media reaches a protected",
          arguments: zip([SRTPCryptoSuite.aeadAES128GCM, .aesCM128HMACSHA1_80], [UInt16(47600), 47610]))
    func bridgesSRTPAndPlain(suite: SRTPCryptoSuite, base: UInt16) throws {
        let aRTCP = try TestPeer(Self.partyA, base + 5)
        let bRTCP = try TestPeer(Self.partyB, base + 7)
        let session = try SRTPRelaySession(base: base, suite: suite, seed: 1)
        let (a, b) = (session.a, session.b)

        let fromA = (1...10).map { RelayTest.rtp(sequence: UInt16($0), ssrc: 0xA1) }
        for packet in fromA { try a.send(try a.protect(packet), to: base) }
        let atB = b.receive(count: 10)
        #expect(atB.map(\.bytes) == fromA, "plain RTP, byte for byte")
        #expect(atB.allSatisfy { $0.source.description == "\(Self.relayHost):\(base + 2)" })
        #expect(session.recorder.latched(session.id, side: .a) == a.media)

        let fromB = (1...10).map { RelayTest.rtp(sequence: UInt16(100 + $0), ssrc: 0xB1) }
        for packet in fromB { try session.sendFromB(packet) }
        let atA = a.peer.receive(count: 10)
        #expect(atA.count == 10)
        #expect(atA.allSatisfy { $0.bytes.count == 172 + suite.rtpTagLength })
        #expect(try atA.map { try a.unprotect($0.bytes) } == fromB, "protected with the SBC's key for side a")

        // RTCP: SRTCP from A's RTCP port arrives plain at B's, and B's reaches A as SRTCP.
        let reportA = RelayTest.rtcp(ssrc: 0xA1)
        try aRTCP.send(try a.protect(reportA, rtcp: true), to: Self.relayHost, base + 1)
        #expect(bRTCP.receive(count: 1).map(\.bytes) == [reportA])
        let reportB = RelayTest.rtcp(ssrc: 0xB1)
        try bRTCP.send(reportB, to: Self.relayHost, base + 3)
        let srtcp = aRTCP.receive(count: 1)
        #expect(try srtcp.map { try a.unprotect($0.bytes, rtcp: true) } == [reportB])

        // DTLS records still cross opaquely.
        let dtls: [UInt8] = [22, 0xFE, 0xFD] + [UInt8](repeating: 7, count: 60)
        try a.send(dtls, to: base)
        #expect(b.receive(count: 1).map(\.bytes) == [dtls])

        let stats = try #require(session.destroy())
        #expect(stats.a.packetsForwarded == 12)
        #expect(stats.a.rtcpPackets == 1)
        #expect(stats.b.packetsForwarded == 11)
        #expect(stats.a.srtpAuthFailures == 0 && stats.a.srtpReplays == 0 && stats.a.srtpErrors == 0)
        #expect(stats.b.srtpErrors == 0)
    }

    @Test("SRTP on both sides with different suites and keys; rtcp-mux SRTCP on side b")
    func transcryptsBetweenSuites() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let base: UInt16 = 47670
        let a = try SRTPTestParty(Self.partyA, base + 4, suite: .aeadAES128GCM, seed: 21)
        let aRTCP = try TestPeer(Self.partyA, base + 5)
        let b = try SRTPTestParty(Self.partyB, base + 6, suite: .aesCM128HMACSHA1_80, seed: 41)
        let id = MediaSessionID(4767)
        relay.submit(.apply(Self.spec(id: 4767, base: base, a: a.media, aKeys: a.keys, b: b.media, bKeys: b.keys,
                                      bMux: true)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        let fromA = (1...5).map { RelayTest.rtp(sequence: UInt16($0), ssrc: 0xA2) }
        for packet in fromA { try a.send(try a.protect(packet), to: base) }
        let atB = b.peer.receive(count: 5)
        #expect(atB.allSatisfy { $0.bytes.count == 172 + 10 }, "AES-CM with an 80-bit tag towards b")
        #expect(try atB.map { try b.unprotect($0.bytes) } == fromA)

        let fromB = (1...5).map { RelayTest.rtp(sequence: UInt16(50 + $0), ssrc: 0xB2) }
        for packet in fromB { try b.send(try b.protect(packet), to: base + 2) }
        let atA = a.peer.receive(count: 5)
        #expect(atA.allSatisfy { $0.bytes.count == 172 + 16 }, "GCM towards a")
        #expect(try atA.map { try a.unprotect($0.bytes) } == fromB)

        // Muxed SRTCP from b goes to a's RTCP port, re-protected with a's key.
        let report = RelayTest.rtcp(ssrc: 0xB2)
        try b.send(try b.protect(report, rtcp: true), to: base + 2)
        #expect(try aRTCP.receive(count: 1).map { try a.unprotect($0.bytes, rtcp: true) } == [report])

        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsForwarded == 5 && stats.b.packetsForwarded == 6)
        #expect(stats.a.srtpAuthFailures + stats.b.srtpAuthFailures == 0)
    }

    @Test("a party keyed with an MKI sends from two SSRCs across a sequence wrap (AES_CM_128_HMAC_SHA1_32): every packet crosses both ways, SRTCP too")
    func mkiAndSeveralSSRCs() throws {
        let base: UInt16 = 47690
        let aRTCP = try TestPeer(Self.partyA, base + 5)
        let bRTCP = try TestPeer(Self.partyB, base + 7)
        let session = try SRTPRelaySession(base: base, suite: .aesCM128HMACSHA1_32, seed: 51,
                                           mki: SDPCryptoMKI(value: 0x0A0B, length: 4))
        let (a, b) = (session.a, session.b)

        // Two streams interleaved; the first wraps from 65,533 to 3 (its rollover counter to 1).
        let fromA = (0..<14).map { (number: Int) -> [UInt8] in
            let wrapping = UInt16(truncatingIfNeeded: 65_533 + number / 2)
            return number % 2 == 0 ? RelayTest.rtp(sequence: wrapping, ssrc: 0xA1)
                                   : RelayTest.rtp(sequence: UInt16(200 + number / 2), ssrc: 0xA2)
        }
        for packet in fromA {
            let protected = try a.protect(packet)
            #expect(protected.count == 172 + 4 + 4, "MKI and a 32-bit tag")
            try a.send(protected, to: base)
        }
        #expect(b.receive(count: 14).map(\.bytes) == fromA)

        let fromB = (1...4).map { RelayTest.rtp(sequence: UInt16(900 + $0), ssrc: 0xB1) }
        for packet in fromB { try session.sendFromB(packet) }
        let atA = a.peer.receive(count: 4)
        #expect(atA.allSatisfy { $0.bytes.count == 172 + 4 }, "the SBC's key has no MKI")
        #expect(try atA.map { try a.unprotect($0.bytes) } == fromB)

        // SRTCP with the MKI and its 80-bit tag (libsrtp2 protects it right; see the SRTP tests).
        let report = RelayTest.rtcp(ssrc: 0xA2)
        try aRTCP.send(try a.protect(report, rtcp: true), to: Self.relayHost, base + 1)
        #expect(bRTCP.receive(count: 1).map(\.bytes) == [report])

        let stats = try #require(session.destroy())
        #expect(stats.a.packetsForwarded == 15 && stats.b.packetsForwarded == 4)
        #expect(stats.a.srtpAuthFailures + stats.a.srtpReplays + stats.a.srtpErrors == 0)
    }

    // MARK: - Forgeries

    @Test("forged SRTP from the party's host, the latched address or a stranger is dropped, counted, and never moves the latch")
    func forgedPacketsNeverLatch() throws {
        let base: UInt16 = 47620
        // The party's own host on another port: `signalled` latching would let it latch.
        let sameHost = try TestPeer(Self.partyA, base + 5)
        let stranger = try TestPeer(Self.stranger, base + 4)
        let session = try SRTPRelaySession(base: base, suite: .aesCM128HMACSHA1_80, seed: 3)
        let (a, b) = (session.a, session.b)

        // Before any latch: a forgery from the party's host reaches the crypto and fails it; the
        // stranger's is refused by the latch first (its host is not the signalled one).
        try sameHost.send(try a.forge(RelayTest.rtp(sequence: 1, ssrc: 0xA3)), to: Self.relayHost, base)
        try stranger.send(try a.forge(RelayTest.rtp(sequence: 2, ssrc: 0xA3)), to: Self.relayHost, base)
        #expect(b.drain().isEmpty)
        #expect(session.recorder.latched(session.id, side: .a, timeout: .milliseconds(100)) == nil, "nothing latched")
        #expect(RelayTest.waitCounters(session.relay) { $0.srtpAuthFailures == 1 }.srtpAuthFailures == 1)

        // The real party latches.
        let good = try (3...5).map { try a.protect(RelayTest.rtp(sequence: UInt16($0), ssrc: 0xA3)) }
        for packet in good { try a.send(packet, to: base) }
        #expect(b.receive(count: 3).map(\.bytes) == (3...5).map { RelayTest.rtp(sequence: UInt16($0), ssrc: 0xA3) })
        #expect(session.recorder.latched(session.id, side: .a) == a.media)

        // From the latched address: a forgery and a replay; from the stranger, a forgery and a
        // captured genuine packet. None is relayed.
        try a.send(try a.forge(RelayTest.rtp(sequence: 6, ssrc: 0xA3)), to: base)
        try a.send(good[1], to: base)
        try stranger.send(try a.forge(RelayTest.rtp(sequence: 7, ssrc: 0xA3)), to: Self.relayHost, base)
        try stranger.send(try a.protect(RelayTest.rtp(sequence: 8, ssrc: 0xA3)), to: Self.relayHost, base)
        #expect(b.drain().isEmpty)

        // The party's next packet still flows (sequence 9: 8 was spent by the stranger's copy,
        // which never reached the crypto), and B's media goes to the party only.
        try a.send(try a.protect(RelayTest.rtp(sequence: 9, ssrc: 0xA3)), to: base)
        #expect(b.receive(count: 1).map(\.bytes) == [RelayTest.rtp(sequence: 9, ssrc: 0xA3)])
        try session.sendFromB(RelayTest.rtp(sequence: 1, ssrc: 0xB3))
        #expect(try a.peer.receive(count: 1).map { try a.unprotect($0.bytes) } == [RelayTest.rtp(sequence: 1, ssrc: 0xB3)])
        #expect(stranger.drain().isEmpty && sameHost.drain().isEmpty)

        let counters = RelayTest.waitCounters(session.relay) { $0.srtpAuthFailures == 2 && $0.srtpReplays == 1 }
        #expect(counters.srtpAuthFailures == 2)
        #expect(counters.srtpReplays == 1)
        let stats = try #require(session.destroy())
        #expect(stats.a.srtpAuthFailures == 2)
        #expect(stats.a.srtpReplays == 1)
        #expect(stats.a.packetsReceived == 10)
        #expect(stats.a.packetsForwarded == 4)
        #expect(stats.a.packetsDropped == 6)
        #expect(stats.a.latchedSource == a.media)
        #expect(session.recorder.count { if case .latched(_, .a, _) = $0 { return true } else { return false } } == 1)
    }

    @Test("with any-source latching a stranger's forgery sent first does not latch; the real party does")
    func forgeryCannotLatchAnySource() throws {
        let base: UInt16 = 47630
        let stranger = try TestPeer(Self.stranger, base + 4)
        let session = try SRTPRelaySession(base: base, suite: .aeadAES128GCM, seed: 5, policy: .anySource)
        let (a, b) = (session.a, session.b)

        try stranger.send(try a.forge(RelayTest.rtp(sequence: 1, ssrc: 0xA4)), to: Self.relayHost, base)
        let otherParty = try SRTPTestParty(Self.stranger, base + 5, suite: .aeadAES128GCM, seed: 99)
        try stranger.send(try otherParty.protect(RelayTest.rtp(sequence: 2, ssrc: 0xA4)), to: Self.relayHost, base)
        #expect(b.drain().isEmpty)
        #expect(RelayTest.waitCounters(session.relay) { $0.srtpAuthFailures == 2 }.srtpAuthFailures == 2)
        #expect(session.recorder.latched(session.id, side: .a, timeout: .milliseconds(100)) == nil)

        try a.send(try a.protect(RelayTest.rtp(sequence: 3, ssrc: 0xA4)), to: base)
        #expect(b.receive(count: 1).count == 1)
        #expect(session.recorder.latched(session.id, side: .a) == a.media)
        try session.sendFromB(RelayTest.rtp(sequence: 1, ssrc: 0xB4))
        #expect(a.peer.receive(count: 1).count == 1)
        #expect(stranger.drain().isEmpty)
    }

    @Test("forged packets do not count as activity: the side times out while only forgeries arrive")
    func forgeriesDoNotKeepASideAlive() throws {
        let base: UInt16 = 47640
        let session = try SRTPRelaySession(base: base, suite: .aeadAES128GCM, seed: 7) { spec in
            spec.timeouts = MediaTimeouts(active: .milliseconds(300), hold: .seconds(30))
            spec.armed = true
            spec.streams[0].b.remoteSends = false   // B on hold: only A's clock matters
        }
        let a = session.a

        // Genuine packets for 0.5 s keep side a alive past its 0.3 s timeout...
        for sequence in 1...25 {
            try a.send(try a.protect(RelayTest.rtp(sequence: UInt16(sequence), ssrc: 0xA5)), to: base)
            usleep(20_000)
        }
        #expect(session.recorder.count { if case .timeout = $0 { return true } else { return false } } == 0)
        // ...forgeries from the latched address do not.
        let forgeriesFrom = MonotonicInstant.now()
        var sequence: UInt16 = 26
        var fired: ((), MonotonicInstant)?
        while fired == nil, MonotonicInstant.now() - forgeriesFrom < .seconds(2) {
            try a.send(try a.forge(RelayTest.rtp(sequence: sequence, ssrc: 0xA5)), to: base)
            sequence &+= 1
            fired = session.recorder.wait(timeout: .milliseconds(20)) { event -> Void? in
                if case .timeout(let timedOut, .a, _, _) = event, timedOut == session.id { return () }
                return nil
            }
        }
        let (_, at) = try #require(fired)
        #expect(at - forgeriesFrom <= .milliseconds(700), "timed out \(at - forgeriesFrom) after the last genuine packet")
        #expect(RelayTest.waitCounters(session.relay) { $0.srtpAuthFailures > 5 }.srtpAuthFailures > 5)
        #expect(session.b.drain().count == 25)
    }

    // MARK: - Updates

    @Test("an update that keeps the keys keeps the contexts: rollover counters and replay windows carry on")
    func updateKeepingKeysKeepsRolloverCounter() throws {
        let base: UInt16 = 47650
        let b2 = try TestPeer(Self.partyB2, base + 8)
        let session = try SRTPRelaySession(base: base, suite: .aesCM128HMACSHA1_80, seed: 9)
        let (a, b) = (session.a, session.b)

        // Both directions cross a sequence-number wrap: the rollover counters become 1.
        let wrap: [UInt16] = [65533, 65534, 65535, 0, 1, 2]
        let protectedFromA = try wrap.map { try a.protect(RelayTest.rtp(sequence: $0, ssrc: 0xA6)) }
        for packet in protectedFromA { try a.send(packet, to: base) }
        #expect(b.receive(count: 6).count == 6)
        for sequence in wrap { try session.sendFromB(RelayTest.rtp(sequence: sequence, ssrc: 0xB6)) }
        #expect(try a.peer.receive(count: 6).map { try a.unprotect($0.bytes) }.count == 6)

        // A re-INVITE moves side b (a new carrier, say) and keeps side a's keys.
        session.spec.streams[0].b.remoteRTP = b2.media
        session.spec.streams[0].b.remoteRTCP = MediaAddress(host: Self.partyB2, port: base + 9)
        session.apply()
        let delivered = try Self.sendUntilDelivered(from: a, to: base, firstSequence: 3, ssrc: 0xA6, at: b2)
        #expect(delivered != nil, "A's packets after the wrap still authenticate: the inbound ROC was kept")
        // The relay's outbound context towards a kept its ROC too: A, which never re-keyed, reads it.
        try b2.send(RelayTest.rtp(sequence: 3, ssrc: 0xB6), to: Self.relayHost, base + 2)
        #expect(try a.peer.receive(count: 1).map { try a.unprotect($0.bytes) } == [RelayTest.rtp(sequence: 3, ssrc: 0xB6)])
        // And the replay window: a packet from before the update is still a replay.
        try a.send(protectedFromA[4], to: base)
        #expect(b2.drain().isEmpty)

        let stats = try #require(session.destroy())
        #expect(stats.a.srtpAuthFailures == 0, "no packet failed: no context was rebuilt")
        #expect(stats.a.srtpReplays == 1)
    }

    @Test("positions are reported after the wrap; a relay rebuilt with them (a restarted SBC) carries on, one without cannot")
    func restartResumesFromReportedPositions() throws {
        let base: UInt16 = 47590
        var positions: SRTPLegPositions?
        let a = try SRTPTestParty(Self.partyA, base + 4, suite: .aesCM128HMACSHA1_80, seed: 13)
        let b = try TestPeer(Self.partyB, base + 6)
        do {
            let recorder = EventRecorder()
            let relay = try RelayTest.relay(recorder)
            defer { relay.stopAndJoin() }
            relay.submit(.apply(Self.spec(id: 4759, base: base, a: a.media, aKeys: a.keys, b: b.media)), worker: 0)
            _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
            let wrap: [UInt16] = [65533, 65534, 65535, 0, 1, 2]
            for sequence in wrap { try a.send(try a.protect(RelayTest.rtp(sequence: sequence, ssrc: 0xA8)), to: base) }
            #expect(b.receive(count: 6).count == 6)
            for sequence in wrap { try b.send(RelayTest.rtp(sequence: sequence, ssrc: 0xB8), to: Self.relayHost, base + 2) }
            #expect(try a.peer.receive(count: 6).map { try a.unprotect($0.bytes) }.count == 6)
            // The scan runs once a second; the report after the wrap carries both directions.
            positions = recorder.wait(timeout: .seconds(3)) { event -> SRTPLegPositions? in
                guard case .srtpPositions(_, 0, .a, let positions, a.keys.hashValue) = event,
                      positions.inbound.first?.rtpIndex == 1 << 16 | 2,
                      positions.outbound.first?.rtpIndex == 1 << 16 | 2 else { return nil }
                return positions
            }?.0
        }
        let reported = try #require(positions, "side a's positions reported after the wrap")
        #expect(reported.inbound.map(\.ssrc) == [0xA8] && reported.outbound.map(\.ssrc) == [0xB8])
        #expect(reported.inbound.first?.rolloverCounter == 1)

        // Rebuilt without the positions: the party's next packet fails (ROC 0 against its 1).
        for resume in [nil, reported] {
            let recorder = EventRecorder()
            let relay = try RelayTest.relay(recorder)
            defer { relay.stopAndJoin() }
            var spec = Self.spec(id: 4759, base: base, a: a.media, aKeys: a.keys, b: b.media)
            spec.streams[0].a.srtpResume = resume
            relay.submit(.apply(spec), worker: 0)
            _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
            let next = RelayTest.rtp(sequence: resume == nil ? 10 : 20, ssrc: 0xA8)
            try a.send(try a.protect(next), to: base)
            if resume == nil {
                #expect(b.receive(count: 1, timeout: .milliseconds(300)).isEmpty)
                #expect(RelayTest.waitCounters(relay) { $0.srtpAuthFailures == 1 }.srtpAuthFailures == 1)
                continue
            }
            #expect(b.receive(count: 1).map(\.bytes) == [next], "the inbound rollover counter carried on")
            let back = RelayTest.rtp(sequence: 20, ssrc: 0xB8)
            try b.send(back, to: Self.relayHost, base + 2)
            #expect(try a.peer.receive(count: 1).map { try a.unprotect($0.bytes) } == [back],
                    "the outbound one too: the party, which kept its state, reads it")
            #expect(RelayTest.waitCounters(relay) { _ in true }.srtpAuthFailures == 0)
        }
    }

    @Test("new keys swap in new contexts; keys removed turn the side back to plain")
    func changingKeys() throws {
        let base: UInt16 = 47660
        let session = try SRTPRelaySession(base: base, suite: .aeadAES128GCM, seed: 11)
        let (a, b) = (session.a, session.b)
        try a.send(try a.protect(RelayTest.rtp(sequence: 1, ssrc: 0xA7)), to: base)
        #expect(b.receive(count: 1).count == 1)

        // Re-keyed both ways: once applied, the party's new key is the one that works. The old
        // party (same keys as A before) sends from A's socket and reads what reaches A.
        let oldParty = try SRTPTestParty(Self.partyA, base + 5, suite: .aeadAES128GCM, seed: 11)
        try a.rekey(seed: 12)
        session.spec.streams[0].a.srtp = a.keys
        session.apply()
        #expect(try Self.sendUntilDelivered(from: a, to: base, firstSequence: 2, ssrc: 0xA7, at: b) != nil)
        let failuresBefore = session.counters.srtpAuthFailures
        // The old key no longer authenticates (sent from the latched address).
        try a.send(try oldParty.protect(RelayTest.rtp(sequence: 1000, ssrc: 0xA7)), to: base)
        #expect(b.drain().isEmpty)
        #expect(RelayTest.waitCounters(session.relay) { $0.srtpAuthFailures == failuresBefore + 1 }.srtpAuthFailures
                == failuresBefore + 1)
        // Towards a, the SBC's new key.
        try session.sendFromB(RelayTest.rtp(sequence: 1, ssrc: 0xB7))
        let protectedToA = try #require(a.peer.receive(count: 1).first).bytes
        #expect(try a.unprotect(protectedToA) == RelayTest.rtp(sequence: 1, ssrc: 0xB7))
        #expect(throws: SRTPLibraryError.authenticationFailed) { try oldParty.unprotect(protectedToA) }

        // Keys removed: side a is plain again, both ways.
        session.spec.streams[0].a.srtp = nil
        session.apply()
        let plain = try Self.sendUntilDelivered(from: a, to: base, firstSequence: 100, ssrc: 0xA7, protected: false, at: b)
        #expect(plain.map { $0.count } == 172)
        try session.sendFromB(RelayTest.rtp(sequence: 2, ssrc: 0xB7))
        #expect(a.peer.receive(count: 1).map(\.bytes) == [RelayTest.rtp(sequence: 2, ssrc: 0xB7)])

        #expect(session.destroy() != nil)
        #expect(session.recorder.count { if case .failed = $0 { return true } else { return false } } == 0)
    }

    @Test("commands keep their order when some wait for SRTP contexts and the next ones do not")
    func commandsStayInOrder() throws {
        let base: UInt16 = 47680
        let b2 = try TestPeer(Self.partyB2, base + 8)
        // The create needs contexts built; the update right behind it does not (same keys), yet
        // it must not overtake: B2, where the update points side b, gets the media.
        let session = try SRTPRelaySession(base: base, suite: .aesCM128HMACSHA1_80, seed: 13, apply: false)
        let (a, relay, recorder) = (session.a, session.relay, session.recorder)
        session.apply()
        session.spec.streams[0].b.remoteRTP = b2.media
        session.spec.streams[0].b.remoteRTCP = MediaAddress(host: Self.partyB2, port: base + 9)
        session.apply()
        #expect(RelayTest.waitCounters(relay) { $0.sessions == 1 }.sessions == 1)
        try a.send(try a.protect(RelayTest.rtp(sequence: 1, ssrc: 0xA8)), to: base)
        #expect(b2.receive(count: 1).count == 1)
        #expect(session.b.drain().isEmpty)

        // Destroy and create again on the same ports, back to back: each destroy lands after its
        // create (or the next create could not bind), each create gets its contexts.
        relay.submit(.destroy(session.id), worker: 0)
        for round in 0..<5 {
            let roundID = MediaSessionID(UInt64(5000 + round))
            var roundSpec = session.spec
            roundSpec.id = roundID
            roundSpec.streams[0].a.srtp = SRTPTestParty.keys(.aesCM128HMACSHA1_80, seed: UInt8(60 + round))
            relay.submit(.apply(roundSpec), worker: 0)
            relay.submit(.destroy(roundID), worker: 0)
        }
        for round in 0..<5 {
            #expect(recorder.closed(MediaSessionID(UInt64(5000 + round)), timeout: .seconds(2)) != nil)
        }
        #expect(recorder.count { if case .failed = $0 { return true } else { return false } } == 0)
        #expect(RelayTest.waitCounters(relay) { $0.sessions == 0 }.sessions == 0)
    }

}
