import SDP
import SRTP
import Testing

@Suite struct SRTPContextTests {
    // MARK: Round trips

    @Test(arguments: SRTPCryptoSuite.allCases)
    func rtpRoundTrip(suite: SRTPCryptoSuite) throws {
        let (sender, receiver) = try TestPackets.pair(suite)
        let plain = TestPackets.rtp(sequence: 1000)
        let packet = PacketBuffer(plain)
        try packet.protectRTP(sender)
        #expect(packet.length == plain.count + suite.rtpTagLength)
        #expect(packet.bytes.prefix(12) == plain.prefix(12), "the header stays in the clear")
        #expect(Array(packet.bytes[12..<plain.count]) != Array(plain[12...]), "the payload is encrypted")
        try packet.unprotectRTP(receiver)
        #expect(packet.bytes == plain)
    }

    @Test(arguments: SRTPCryptoSuite.allCases)
    func rtcpRoundTrip(suite: SRTPCryptoSuite) throws {
        let (sender, receiver) = try TestPackets.pair(suite)
        let plain = TestPackets.rtcp()
        let packet = PacketBuffer(plain)
        try packet.protectRTCP(sender)
        #expect(packet.length == plain.count + 4 + suite.rtcpTagLength)
        #expect(packet.bytes[Self.eFlagIndex(suite, packet: packet, plain: plain)] & 0x80 != 0, "E bit set: encrypted")
        #expect(Array(packet.bytes[8..<plain.count]) != Array(plain[8...]))
        try packet.unprotectRTCP(receiver)
        #expect(packet.bytes == plain)
    }

    /// Where the SRTCP E flag and index stand: before the tag for counter mode (RFC 3711
    /// §3.4), after it for GCM (RFC 7714 §9.1).
    static func eFlagIndex(_ suite: SRTPCryptoSuite, packet: PacketBuffer, plain: [UInt8]) -> Int {
        suite.isAEAD ? packet.length - 4 : plain.count
    }

    @Test(arguments: [SRTPCryptoSuite.aesCM128HMACSHA1_80, .aeadAES128GCM])
    func unencryptedSRTCPIsAuthenticatedOnly(suite: SRTPCryptoSuite) throws {
        let (sender, receiver) = try TestPackets.pair(suite, unencryptedSRTCP: true)
        let plain = TestPackets.rtcp()
        let packet = PacketBuffer(plain)
        try packet.protectRTCP(sender)
        #expect(Array(packet.bytes.prefix(plain.count)) == plain, "report readable on the wire")
        #expect(packet.bytes[Self.eFlagIndex(suite, packet: packet, plain: plain)] & 0x80 == 0, "E bit clear")
        let intact = packet.bytes
        packet.storage[10] ^= 0x01
        #expect(throws: SRTPPacketError.authenticationFailed) { try packet.unprotectRTCP(receiver) }
        let retry = PacketBuffer(intact)
        try retry.unprotectRTCP(receiver)
        #expect(retry.bytes == plain)
    }

    @Test func mkiTravelsInEveryPacket() throws {
        let suite = SRTPCryptoSuite.aesCM128HMACSHA1_80
        let key = TestPackets.key(suite, mki: SDPCryptoMKI(value: 0x0102, length: 4))
        let (sender, receiver) = try TestPackets.pair(suite, key: key)
        #expect(sender.usesMKI)
        let plain = TestPackets.rtp(sequence: 7)
        let packet = PacketBuffer(plain)
        try packet.protectRTP(sender)
        #expect(packet.length == plain.count + 4 + 10)
        #expect(Array(packet.bytes[plain.count..<plain.count + 4]) == [0, 0, 1, 2], "MKI before the tag")
        let copy = PacketBuffer(packet.bytes)
        try packet.unprotectRTP(receiver)
        #expect(packet.bytes == plain)

        let otherMKI = try SRTPContext(suite: suite, key: TestPackets.key(suite, mki: SDPCryptoMKI(value: 3, length: 4)),
                                       direction: .inbound)
        #expect(throws: SRTPPacketError.unknownMKI) { try copy.unprotectRTP(otherMKI) }
    }

    // MARK: Forgeries and replays

    @Test(arguments: SRTPCryptoSuite.allCases)
    func tamperedTagFailsAuthentication(suite: SRTPCryptoSuite) throws {
        let (sender, receiver) = try TestPackets.pair(suite)
        let packet = PacketBuffer(TestPackets.rtp(sequence: 42))
        try packet.protectRTP(sender)
        let intact = PacketBuffer(packet.bytes)
        packet.storage[packet.length - 1] ^= 0x80
        let error = #expect(throws: SRTPPacketError.authenticationFailed) { try packet.unprotectRTP(receiver) }
        #expect(error?.isAuthenticationOrReplay == true)
        #expect(error?.description == "SRTP authentication failed")
        try intact.unprotectRTP(receiver)
        #expect(intact.bytes == TestPackets.rtp(sequence: 42), "a forgery does not burn the index")
    }

    @Test func packetUnderAnotherKeyFailsAuthentication() throws {
        let suite = SRTPCryptoSuite.aesCM128HMACSHA1_80
        let sender = try SRTPContext(suite: suite, key: TestPackets.key(suite, seed: 1), direction: .outbound)
        let forgedFor = try SRTPContext(suite: suite, key: TestPackets.key(suite, seed: 2), direction: .inbound)
        let packet = PacketBuffer(TestPackets.rtp(sequence: 9))
        try packet.protectRTP(sender)
        #expect(throws: SRTPPacketError.authenticationFailed) { try packet.unprotectRTP(forgedFor) }
    }

    @Test func replayedPacketIsRefused() throws {
        let (sender, receiver) = try TestPackets.pair(.aesCM128HMACSHA1_80)
        let packet = PacketBuffer(TestPackets.rtp(sequence: 500))
        try packet.protectRTP(sender)
        let replay = PacketBuffer(packet.bytes)
        try packet.unprotectRTP(receiver)
        let error = #expect(throws: SRTPPacketError.replayed) { try replay.unprotectRTP(receiver) }
        #expect(error?.description == "SRTP replay (index already seen)")
    }

    @Test func packetOlderThanTheWindowIsRefused() throws {
        let (sender, receiver) = try TestPackets.pair(.aeadAES128GCM)
        let old = PacketBuffer(TestPackets.rtp(sequence: 800))
        try old.protectRTP(sender)
        let recent = PacketBuffer(TestPackets.rtp(sequence: 1000))
        try recent.protectRTP(sender)
        try recent.unprotectRTP(receiver)
        #expect(throws: SRTPPacketError.replayTooOld) { try old.unprotectRTP(receiver) }
    }

    @Test func reorderedPacketsWithinTheWindowPass() throws {
        let (sender, receiver) = try TestPackets.pair(.aesCM128HMACSHA1_32)
        let packets = (0..<5).map { PacketBuffer(TestPackets.rtp(sequence: 10 + UInt16($0))) }
        for packet in packets { try packet.protectRTP(sender) }
        for index in [0, 2, 1, 4, 3] { try packets[index].unprotectRTP(receiver) }
    }

    // MARK: Known-answer vectors (libsrtp2's own reference packets, test/srtp_driver.c)

    /// libsrtp2's `test_key`, first 30 bytes: AES-128 master key and 112-bit salt.
    static let referenceKey: [UInt8] = [
        0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0, 0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39,
        0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB, 0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6,
    ]
    /// SSRC 0xcafebabe, sequence 0x1234, timestamp 0xdecafbad, 16 bytes of 0xab.
    static let referenceRTP: [UInt8] = [0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE]
        + [UInt8](repeating: 0xAB, count: 16)
    /// A sender report from SSRC 0xcafebabe with 16 bytes of 0xab.
    static let referenceRTCP: [UInt8] = [0x81, 0xC8, 0x00, 0x0B, 0xCA, 0xFE, 0xBA, 0xBE] + [UInt8](repeating: 0xAB, count: 16)

    @Test func aesCM128HMACSHA180KnownAnswer() throws {
        let key = SDPCryptoKeyParameter(keyAndSalt: Self.referenceKey)
        let (sender, receiver) = try TestPackets.pair(.aesCM128HMACSHA1_80, key: key)
        let srtp: [UInt8] = [
            0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE, 0x4E, 0x55, 0xDC, 0x4C,
            0xE7, 0x99, 0x78, 0xD8, 0x8C, 0xA4, 0xD2, 0x15, 0x94, 0x9D, 0x24, 0x02, 0xB7, 0x8D, 0x6A, 0xCC,
            0x99, 0xEA, 0x17, 0x9B, 0x8D, 0xBB,
        ]
        let srtcp: [UInt8] = [
            0x81, 0xC8, 0x00, 0x0B, 0xCA, 0xFE, 0xBA, 0xBE, 0x71, 0x28, 0x03, 0x5B, 0xE4, 0x87, 0xB9, 0xBD,
            0xBE, 0xF8, 0x90, 0x41, 0xF9, 0x77, 0xA5, 0xA8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3E, 0x08, 0xCD,
            0x54, 0xD6, 0xC1, 0x23, 0x07, 0x98,
        ]
        try expectKnownAnswer(sender: sender, receiver: receiver, srtp: srtp, srtcp: srtcp)
    }

    @Test func aeadAES128GCMKnownAnswer() throws {
        let key = SDPCryptoKeyParameter(keyAndSalt: Array(0x00...0x0F) + Array(0xA0...0xAB))
        let (sender, receiver) = try TestPackets.pair(.aeadAES128GCM, key: key)
        let srtp: [UInt8] = [
            0x80, 0x0F, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA, 0xBE, 0xC5, 0x00, 0x2E, 0xDE,
            0x04, 0xCF, 0xDD, 0x2E, 0xB9, 0x11, 0x59, 0xE0, 0x88, 0x0A, 0xA0, 0x6E, 0xD2, 0x97, 0x68, 0x26,
            0xF7, 0x96, 0xB2, 0x01, 0xDF, 0x31, 0x31, 0xA1, 0x27, 0xE8, 0xA3, 0x92,
        ]
        let srtcp: [UInt8] = [
            0x81, 0xC8, 0x00, 0x0B, 0xCA, 0xFE, 0xBA, 0xBE, 0xC9, 0x8B, 0x8B, 0x5D, 0xF0, 0x39, 0x2A, 0x55,
            0x85, 0x2B, 0x6C, 0x21, 0xAC, 0x8E, 0x70, 0x25, 0xC5, 0x2C, 0x6F, 0xBE, 0xA2, 0xB3, 0xB4, 0x46,
            0xEA, 0x31, 0x12, 0x3B, 0xA8, 0x8C, 0xE6, 0x1E, 0x80, 0x00, 0x00, 0x01,
        ]
        try expectKnownAnswer(sender: sender, receiver: receiver, srtp: srtp, srtcp: srtcp)
    }

    private func expectKnownAnswer(sender: SRTPContext, receiver: SRTPContext, srtp: [UInt8], srtcp: [UInt8]) throws {
        let rtp = PacketBuffer(Self.referenceRTP)
        try rtp.protectRTP(sender)
        #expect(rtp.bytes == srtp)
        let rtcp = PacketBuffer(Self.referenceRTCP)
        try rtcp.protectRTCP(sender)
        #expect(rtcp.bytes == srtcp)

        let inbound = PacketBuffer(srtp)
        try inbound.unprotectRTP(receiver)
        #expect(inbound.bytes == Self.referenceRTP)
        let inboundRTCP = PacketBuffer(srtcp)
        try inboundRTCP.unprotectRTCP(receiver)
        #expect(inboundRTCP.bytes == Self.referenceRTCP)
    }

    // MARK: Rollover counter and lifetime

    @Test func rolloverCounterFollowsTheSequenceWrap() throws {
        let (sender, receiver) = try TestPackets.pair(.aeadAES128GCM)
        #expect(sender.rolloverCounter(ssrc: 0xCAFE_BABE) == nil, "no stream before the first packet")
        for sequence: UInt16 in [65534, 65535, 0, 1] {
            let packet = PacketBuffer(TestPackets.rtp(sequence: sequence))
            try packet.protectRTP(sender)
            try packet.unprotectRTP(receiver)
        }
        #expect(sender.rolloverCounter(ssrc: 0xCAFE_BABE) == 1)
        #expect(receiver.rolloverCounter(ssrc: 0xCAFE_BABE) == 1)
        #expect(throws: SRTPSetupError.noSuchStream(ssrc: 7)) { try receiver.setRolloverCounter(1, ssrc: 7) }
        #expect(throws: SRTPSetupError.rolloverCounterBackwards(ssrc: 0xCAFE_BABE, current: 1, requested: 0)) {
            try receiver.setRolloverCounter(0, ssrc: 0xCAFE_BABE)
        }
        try receiver.setRolloverCounter(2, ssrc: 0xCAFE_BABE)
        #expect(receiver.rolloverCounter(ssrc: 0xCAFE_BABE) == 2)
        let next = PacketBuffer(TestPackets.rtp(sequence: 2))
        try next.protectRTP(sender)
        #expect(throws: SRTPPacketError.authenticationFailed, "the receiver now expects rollover counter 2") {
            try next.unprotectRTP(receiver)
        }
    }

    // MARK: Resuming after a restart

    /// A call past a sequence-number wrap, both ends' contexts rebuilt from the reported
    /// positions (as a restarted SBC does): packets authenticate again in both directions, and
    /// the SBC's SRTCP index moves on past what the peer has seen. Without the positions the
    /// first packet after the restart fails (rollover counter 0 against the peer's 1).
    @Test(arguments: [SRTPCryptoSuite.aesCM128HMACSHA1_80, .aeadAES128GCM])
    func resumedContextsCarryOnAfterTheWrap(suite: SRTPCryptoSuite) throws {
        var (sender, receiver) = try TestPackets.pair(suite)
        #expect(sender.progressMark == 0 && sender.streamPositions().isEmpty)
        for sequence: UInt16 in [65534, 65535, 0, 1] {
            let packet = PacketBuffer(TestPackets.rtp(sequence: sequence))
            try packet.protectRTP(sender)
            try packet.unprotectRTP(receiver)
        }
        for _ in 0..<3 {
            let report = PacketBuffer(TestPackets.rtcp())
            try report.protectRTCP(sender)
            try report.unprotectRTCP(receiver)
        }
        let markBefore = sender.progressMark
        #expect(markBefore > 0, "a stream appearing moves the mark")
        let sent = try #require(sender.streamPositions().first)
        #expect(sent.ssrc == 0xCAFE_BABE && sent.rtpIndex == 1 << 16 | 1 && sent.rtcpIndex == 3)
        let received = try #require(receiver.streamPositions().first)
        #expect(received.rtpIndex == 1 << 16 | 1 && received.rtcpIndex == 3)

        // The peer (here the receiver) carries on; the SBC's side restarts.
        let restartedPlain = try TestPackets.pair(suite).sender
        let lost = PacketBuffer(TestPackets.rtp(sequence: 40))
        try lost.protectRTP(restartedPlain)
        #expect(throws: SRTPPacketError.authenticationFailed, "a fresh context protects under rollover counter 0") {
            try lost.unprotectRTP(receiver)
        }
        sender = try TestPackets.pair(suite).sender
        sender.resume(ssrc: sent.ssrc, rtpIndex: sent.rtpIndex, rtcpIndex: sent.rtcpIndex)
        #expect(sender.rolloverCounter(ssrc: 0xCAFE_BABE) == 1)
        let next = PacketBuffer(TestPackets.rtp(sequence: 50))
        try next.protectRTP(sender)
        try next.unprotectRTP(receiver)
        #expect(next.bytes == TestPackets.rtp(sequence: 50))
        let report = PacketBuffer(TestPackets.rtcp())
        try report.protectRTCP(sender)
        try report.unprotectRTCP(receiver)
        #expect(receiver.streamPositions().first?.rtcpIndex == 3 + SRTPContext.outboundRTCPResumeMargin + 1,
                "the SBC's SRTCP index jumps past what it may have sent since the report")

        // The other way: the SBC's inbound context restarts, the peer keeps sending.
        receiver = try TestPackets.pair(suite).receiver
        receiver.resume(ssrc: received.ssrc, rtpIndex: received.rtpIndex, rtcpIndex: received.rtcpIndex)
        let later = PacketBuffer(TestPackets.rtp(sequence: 60))
        try later.protectRTP(sender)
        let protected = later.bytes
        try later.unprotectRTP(receiver)
        #expect(receiver.rolloverCounter(ssrc: 0xCAFE_BABE) == 1)
        #expect(throws: SRTPPacketError.replayed) { try PacketBuffer(protected).unprotectRTP(receiver) }
    }

    @Test func progressMarkMovesByReportingSteps() throws {
        let (sender, _) = try TestPackets.pair(.aesCM128HMACSHA1_80)
        let first = PacketBuffer(TestPackets.rtp(sequence: 100))
        try first.protectRTP(sender)
        let mark = sender.progressMark
        for sequence: UInt16 in 101..<4096 {
            try PacketBuffer(TestPackets.rtp(sequence: sequence)).protectRTP(sender)
        }
        #expect(sender.progressMark == mark, "no new report within one step of 4,096 packets")
        try PacketBuffer(TestPackets.rtp(sequence: 4096)).protectRTP(sender)
        #expect(sender.progressMark == mark + 1)
    }

    @Test func lifetimeIsEnforcedForSRTPAndSRTCPApart() throws {
        let suite = SRTPCryptoSuite.aesCM128HMACSHA1_80
        let (sender, receiver) = try TestPackets.pair(suite, key: TestPackets.key(suite, lifetime: .packets(2)))
        for sequence: UInt16 in [1, 2] {
            let packet = PacketBuffer(TestPackets.rtp(sequence: sequence))
            try packet.protectRTP(sender)
            try packet.unprotectRTP(receiver)
        }
        let third = PacketBuffer(TestPackets.rtp(sequence: 3))
        #expect(throws: SRTPPacketError.keyExpired) { try third.protectRTP(sender) }
        let rtcp = PacketBuffer(TestPackets.rtcp())
        try rtcp.protectRTCP(sender)
        try rtcp.unprotectRTCP(receiver)
    }

    // MARK: Misuse

    @Test func bufferChecks() throws {
        let (sender, receiver) = try TestPackets.pair(.aesCM128HMACSHA1_80)
        #expect(sender.rtpTrailerLength == 10 && sender.rtcpTrailerLength == 14)
        let plain = TestPackets.rtp(sequence: 1)
        let cramped = PacketBuffer(plain, capacity: plain.count + 9)
        let tailError = #expect(throws: SRTPPacketError.insufficientTailRoom(available: 9, required: 10)) {
            try cramped.protectRTP(sender)
        }
        #expect(tailError?.description == "SRTP needs 10 bytes after the packet, the buffer has 9")
        let rtcp = PacketBuffer(TestPackets.rtcp(), capacity: 28 + 13)
        #expect(throws: SRTPPacketError.insufficientTailRoom(available: 13, required: 14)) { try rtcp.protectRTCP(sender) }

        let packet = PacketBuffer(plain)
        #expect(throws: SRTPPacketError.invalidLength(5000)) { _ = try sender.protectRTP(packet.storage, length: 5000) }
        #expect(throws: SRTPPacketError.wrongDirection) { try packet.protectRTP(receiver) }
        #expect(throws: SRTPPacketError.wrongDirection) { try packet.unprotectRTP(sender) }
        let short = PacketBuffer([0x80, 0, 0, 1, 0, 0])
        let shortError = #expect(throws: SRTPPacketError.packetTooShort(length: 6, minimum: 22)) { try short.unprotectRTP(receiver) }
        #expect(shortError?.description == "SRTP packet of 6 bytes, shorter than its header and trailer (22)")
        // Two CSRCs and a header extension claiming 200 words: the header runs past the packet.
        let longHeader = PacketBuffer([0x92, 0, 0, 1] + [UInt8](repeating: 0, count: 16) + [0xBE, 0xDE, 0, 200] + [UInt8](repeating: 0, count: 30))
        #expect(throws: SRTPPacketError.packetTooShort(length: 54, minimum: 824)) { try longHeader.protectRTP(sender) }
        #expect(throws: SRTPPacketError.packetTooShort(length: 20, minimum: 22)) {
            try PacketBuffer(TestPackets.rtcp().prefix(20).map { $0 }).unprotectRTCP(receiver)
        }
    }

    /// The relay's slots are 16-byte aligned, but nothing here depends on it.
    @Test(arguments: [SRTPCryptoSuite.aesCM128HMACSHA1_80, .aeadAES128GCM])
    func unalignedBuffersWork(suite: SRTPCryptoSuite) throws {
        let (sender, receiver) = try TestPackets.pair(suite)
        let plain = TestPackets.rtp(sequence: 5)
        let packet = PacketBuffer(plain, offset: 3)
        try packet.protectRTP(sender)
        try packet.unprotectRTP(receiver)
        #expect(packet.bytes == plain)
    }

    @Test func srtcpWithTheWrongEncryptionFlagIsRefusedOnceAuthentic() throws {
        let suite = SRTPCryptoSuite.aesCM128HMACSHA1_80
        let sender = try SRTPContext(suite: suite, key: TestPackets.key(suite), direction: .outbound, unencryptedSRTCP: true)
        let receiver = try SRTPContext(suite: suite, key: TestPackets.key(suite), direction: .inbound)
        let packet = PacketBuffer(TestPackets.rtcp())
        try packet.protectRTCP(sender)
        let error = #expect(throws: SRTPPacketError.encryptionFlagMismatch(encrypted: false)) { try packet.unprotectRTCP(receiver) }
        #expect(error?.isAuthenticationOrReplay == false)
    }

    @Test func largeWindowSizeHintsAreHonoured() throws {
        let suite = SRTPCryptoSuite.aeadAES128GCM
        let sender = try SRTPContext(suite: suite, key: TestPackets.key(suite), direction: .outbound)
        let receiver = try SRTPContext(suite: suite, key: TestPackets.key(suite), direction: .inbound, replayWindow: 1000)
        let old = PacketBuffer(TestPackets.rtp(sequence: 100))
        try old.protectRTP(sender)
        let tooOld = PacketBuffer(TestPackets.rtp(sequence: 50))
        try tooOld.protectRTP(sender)
        let recent = PacketBuffer(TestPackets.rtp(sequence: 1100))
        try recent.protectRTP(sender)
        try recent.unprotectRTP(receiver)
        try old.unprotectRTP(receiver)   // 1000 behind: inside the window, rounded up to 1024
        #expect(throws: SRTPPacketError.replayTooOld) { try tooOld.unprotectRTP(receiver) }
    }

    @Test func wrongKeyLengthIsASetupError() {
        let error = #expect(throws: SRTPSetupError.wrongKeyLength(suite: .aeadAES128GCM, actual: 30)) {
            try SRTPContext(suite: .aeadAES128GCM, key: TestPackets.key(.aesCM128HMACSHA1_80), direction: .inbound)
        }
        #expect(error?.description == "AEAD_AES_128_GCM needs 28 bytes of key and salt, got 30")
    }

    // MARK: With SDES

    @Test func contextsFromNegotiatedKeysTalkToThePeer() throws {
        var random = SystemRandomNumberGenerator()
        let sbc = SDESSettings(policy: .required, suites: [.aeadAES128GCM])
        let offer = sbc.offer(proto: "RTP/AVP", using: &random)
        var media = MediaDescription(type: "audio", port: 4000, proto: "RTP/AVP", formats: ["0"])
        offer.apply(to: &media)
        let peerAnswer = try SDESSettings(policy: .optional).answer(offer: media, using: &random)
        var answered = media
        peerAnswer.apply(to: &answered)
        let ours = try #require(try sbc.accept(answer: answered, to: offer).keys)
        let theirs = try #require(peerAnswer.security.keys)

        let toPeer = try SRTPContext(keys: ours, direction: .outbound)
        let peerReceives = try SRTPContext(keys: theirs, direction: .inbound)
        let peerSends = try SRTPContext(keys: theirs, direction: .outbound)
        let fromPeer = try SRTPContext(keys: ours, direction: .inbound)

        let plain = TestPackets.rtp(sequence: 77)
        let out = PacketBuffer(plain)
        try out.protectRTP(toPeer)
        try out.unprotectRTP(peerReceives)
        #expect(out.bytes == plain)
        let back = PacketBuffer(TestPackets.rtp(sequence: 78))
        try back.protectRTP(peerSends)
        #expect(throws: SRTPPacketError.authenticationFailed) { try PacketBuffer(back.bytes).unprotectRTP(peerReceives) }
        try back.unprotectRTP(fromPeer)
        #expect(back.bytes == TestPackets.rtp(sequence: 78))
    }
}
