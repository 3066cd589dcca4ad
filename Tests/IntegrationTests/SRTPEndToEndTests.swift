// SDES-SRTP terminated by the SBC, end to end with a real SRTP client (issue 10). baresip is
// the platform (`mediaenc=srtp-mand`; Support/Baresip.swift says how it is made to send from
// the platform's address), carrier A is plain RTP: a SIPp callee or caller whose media is a UDP
// socket of the test (TonePlayer). Each side sends a tone and the test detects it on the other
// side: baresip's tone in the plain G.711 the carrier socket receives, the carrier's tone in what
// baresip decoded and recorded. The wire is watched from outside the parties, by raw-socket taps
// on the block's addresses and by tshark on lo: no SRTP key of the platform leg ever reaches the
// carrier. Forged SRTP (baresip's SSRC, a wrong tag) is injected into the platform-side relay
// port from baresip's own address and port, from another port of the platform's address and
// from a stranger: none of it reaches the carrier, the latch stays, and the CDR counts the
// authentication failures. Then the other direction (a carrier calls an SRTP-only platform,
// AEAD_AES_128_GCM), and a plain SIPp platform under `srtp: {policy: optional}`.
import Foundation
import Testing

@Suite("SRTP end to end (sbc binary + baresip SDES-SRTP platform + plain carrier)", .serialized, .timeLimit(.minutes(2)))
struct SRTPEndToEndTests {
    static let platformTone = 1100.0
    static let carrierTone = 700.0
    static let carrierSSRC: UInt32 = 0xCA11_0700
    static let forgedMarker: UInt8 = 0x5A
    static let baresipMissing = Comment(rawValue: Baresip.notInstalled)

    static func mediaKeys(_ socket: UDPSocket) -> [String] {
        ["-key", "rtp_ip", socket.local.ip, "-key", "rtp_port", String(socket.local.port)]
    }

    /// A forged SRTP packet: baresip's SSRC, a sequence number far ahead (so that the SBC's
    /// replay check passes and only the tag can fail), payload of the marker byte, a junk tag.
    static func forged(ssrc: UInt32, sequence: UInt16) -> [UInt8] {
        RTPView.make(payloadType: 8, sequence: sequence, timestamp: UInt32(sequence) &* 160, ssrc: ssrc,
                     payload: [UInt8](repeating: forgedMarker, count: 160) + [UInt8](repeating: 0xEE, count: 16))
    }

    /// tshark on lo for the platform's and the carrier's traffic, if tshark is installed.
    static func startCapture(_ lab: Lab) async throws -> LoopbackCapture? {
        guard LoopbackCapture.binary != nil else {
            print("SRTPEndToEndTests: tshark is not installed; the wire is checked by the raw taps only")
            return nil
        }
        return try await LoopbackCapture(lab: lab, filter: "udp and (host \(lab.block.platform.ip) or host \(lab.block.carrierA.ip))")
    }

    /// Baresip's SRTP flow as it reaches the SBC: the most frequent (source, destination) of
    /// non-SIP RTP-looking datagrams from the platform's address (its RTCP is a smaller flow).
    static func platformMediaFlow(_ taps: WireTaps, _ block: LabBlock) -> [WireDatagram]? {
        let media = taps.toSBC.filter { $0.source.ip == block.platform.ip && !$0.isSIP && RTPView($0.payload) != nil }
        return Dictionary(grouping: media) { "\($0.source)>\($0.destination)" }.values.max { $0.count < $1.count }
    }

    /// True if `bytes` is plain (compound) RTCP: RTCP headers whose lengths add up to exactly the
    /// datagram. SRTCP never does (the E flag, SRTCP index and tag trail the last packet).
    static func isPlainRTCP(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset + 4 <= bytes.count {
            guard bytes[offset] >> 6 == 2, (192...223).contains(bytes[offset + 1]) else { return false }
            offset += ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
        }
        return offset == bytes.count && !bytes.isEmpty
    }

    /// baresip's datagrams to the relay that no SRTP context can take, whatever the relay does:
    /// plain RTCP (baresip 1.0.0 sends an unprotected RTCP APP "PINGPONG" when its stream starts
    /// and an unprotected RTCP BYE once its SRTP is gone, at hang-up), and, when baresip answers,
    /// media it sends before its 200 has told the SBC its key. The relay drops each one and may
    /// count it as an SRTP failure (the BYE only if the session still exists when it arrives);
    /// this is the most the platform leg's failure counters may show for an honest baresip.
    static func unauthenticatable(_ taps: WireTaps, _ block: LabBlock, answering: Bool) -> Int {
        let answer = answering ? taps.toSBC.firstIndex { $0.source.ip == block.platform.ip && $0.isResponse(200, to: "INVITE") } : nil
        return taps.toSBC.enumerated().filter { index, datagram in
            guard datagram.source.ip == block.platform.ip, !datagram.isSIP else { return false }
            return isPlainRTCP(datagram.payload) || index < (answer ?? 0)
        }.count
    }

    /// No SRTP key of the platform leg reaches the carrier: not in the SIP the carrier logged, not
    /// in any datagram delivered to its address (raw tap), not in tshark's capture of its traffic.
    /// The capture must show the keys in the platform's own traffic (so the search works).
    static func expectNoKeyOnCarrierSide(keys: [SDESCrypto], carrierSIP: [SIPMessage], taps: WireTaps,
                                         wire: [WireDatagram]?, block: LabBlock) {
        let keyTexts = keys.map(\.keyBase64)
        let keyBytes = keys.map(\.keyBytes)
        #expect(!keys.isEmpty && keyBytes.allSatisfy { $0.count >= 28 }, "the platform leg's keys: \(keys)")
        for message in carrierSIP {
            let text = message.startLine + "\r\n" + message.body
            #expect(!text.contains("a=crypto") && !keyTexts.contains { text.contains($0) }, "the carrier received:\n\(text)")
        }
        func carriesKey(_ datagram: WireDatagram) -> Bool {
            keyTexts.contains { datagram.text.contains($0) } || keyBytes.contains { datagram.payload.contains(bytes: $0) }
        }
        func leaks(_ datagram: WireDatagram) -> Bool { datagram.text.contains("a=crypto") || carriesKey(datagram) }
        #expect(taps.toCarrier.count >= 200, "the carrier tap saw the carrier's traffic (\(taps.toCarrier.count) datagrams)")
        #expect(!taps.toCarrier.contains(where: leaks), "a datagram to the carrier carries a platform key or an a=crypto")
        guard let wire else { return }
        let carrierSide = wire.filter { $0.destination.ip == block.carrierA.ip || $0.source.ip == block.carrierA.ip }
        #expect(carrierSide.contains { $0.text.contains("m=audio ") }, "tshark captured the carrier's SDP")
        #expect(carrierSide.count >= 200, "tshark captured the carrier's media (\(carrierSide.count) datagrams)")
        #expect(!carrierSide.contains(where: leaks), "tshark: a platform key or an a=crypto on the carrier side")
        let platformSide = wire.filter { $0.source.ip == block.platform.ip || $0.destination.ip == block.platform.ip }
        #expect(keys.allSatisfy { key in platformSide.contains { $0.text.contains(key.keyBase64) } },
                "positive control: every key is found in the platform's own SIP in tshark's capture")
    }

    // MARK: - platform (baresip, SRTP) calls a plain carrier

    @Test("a baresip SRTP platform calls a plain carrier: tones both ways, RTP/AVP without keys to the carrier, the platform's key never on the carrier side, forged SRTP dropped and counted",
          .enabled(if: Baresip.isInstalled, baresipMissing))
    func baresipSRTPPlatformToPlainCarrier() async throws {
        var options = LabOptions()
        options.platformSRTP = "{policy: optional}" // the lab's (LAB.md)
        options.admin = true // /metrics
        try await withLab("srtp-baresip", options: options) { lab in
            let b = lab.block
            let carrierSocket = try lab.socket(b.carrierA.ip)
            let otherPlatformPort = try lab.socket(b.platform.ip)
            let stranger = try lab.socket(b.strangerIP)
            let taps = try WireTaps(b)
            defer { taps.close() }
            let capture = try await Self.startCapture(lab)

            let callee = try await lab.startCallee("uas_media", at: b.carrierA, extraArguments: Self.mediaKeys(carrierSocket))
            try await lab.startSBC()
            let baresip = try await BaresipPlatform(
                lab: lab, address: b.platform, dialing: "sip:+15551230000@\(b.sbcPlatform.ip):\(b.sbcPlatform.port)",
                toneHz: Self.platformTone, lifetime: .seconds(30))

            // The carrier's INVITE names the SBC's carrier-side relay port; the carrier plays its tone there.
            let invite = try #require(await callee.waitForMessage(timeout: .seconds(15)) {
                $0.direction == .received && $0.message.method == "INVITE"
            }, "the carrier was not called\n\(baresip.logTail())\n\(lab.sbcLog)")
            let carrierRelay = try #require(sdpAudioEndpoint(invite.body), "\(invite.body)")
            let carrier = TonePlayer(socket: carrierSocket, ssrc: Self.carrierSSRC, toneHz: Self.carrierTone,
                                     destination: carrierRelay)

            // 1. Both ways until 3 s of baresip's audio reached the carrier and it sent 4 s.
            try await playTone(carrier, taps: taps, for: .seconds(12)) { carrier.received.count >= 150 && carrier.sent >= 200 }
            #expect(carrier.received.count >= 150,
                    "baresip's RTP reaches the carrier (got \(carrier.received.count))\n\(baresip.logTail())\n\(lab.sbcLog)")
            let flow = try #require(Self.platformMediaFlow(taps, b), "no RTP from baresip reached the SBC\n\(baresip.logTail())")
            let baresipRTP = flow[0].source
            let platformRelay = flow[0].destination
            let baresipSSRC = try #require(RTPView(flow[0].payload)).ssrc
            let lastSequence = try #require(RTPView(flow[flow.count - 1].payload)).sequence
            #expect(baresipRTP.ip == b.platform.ip, "baresip sends its media from the platform's address")
            #expect(platformRelay.ip == b.sbcIP && LabOptions.mediaPorts.contains(Int(platformRelay.port)))

            // 2. Forged SRTP into the platform-side relay port while the carrier plays: 10 from
            // baresip's own address and port (a raw socket), 10 from another port of the
            // platform's address, 10 from a stranger; sequence numbers 20000 ahead of baresip's.
            let forgedBase = lastSequence &+ 20000
            let forgedSequences = Set((0..<30).map { forgedBase &+ UInt16($0) })
            let receivedBeforeForgery = carrier.received.count
            for i in 0..<30 {
                let packet = Self.forged(ssrc: baresipSSRC, sequence: forgedBase &+ UInt16(i))
                switch i % 3 {
                case 0: try taps.platform.send(packet, sourcePort: baresipRTP.port, to: platformRelay)
                case 1: try otherPlatformPort.send(packet, to: platformRelay)
                default: try stranger.send(packet, to: platformRelay)
                }
                try await playTone(carrier, taps: taps, for: .milliseconds(20))
            }
            let forgeryEnded = ContinuousClock.now
            // 3. Two more seconds: baresip's audio still flows (the latch did not move).
            try await playTone(carrier, taps: taps, for: .seconds(2))
            #expect(carrier.received.count - receivedBeforeForgery >= 100, "media kept flowing during and after the forgery")

            // 4. baresip hangs up (SIGTERM: BYE); the carrier falls silent.
            let exit = await baresip.hangUp()
            carrier.sending = false
            try await playTone(carrier, taps: taps, for: .seconds(1))
            let calleeResult = await lab.finish(callee)
            taps.drain()
            let wire = try await capture?.finish()

            // The call: established, hung up by the platform, the BYE answered on both legs.
            #expect(baresip.log.contains("Call established"), "\(baresip.logTail())")
            #expect(exit.exited, "baresip exits on SIGTERM (\(exit))\n\(baresip.logTail())")
            #expect(calleeResult.receivedRequests("ACK").count >= 1 && calleeResult.receivedRequests("BYE").count == 1,
                    "\(calleeResult.diagnostics)\n\(lab.sbcLog)")
            #expect(calleeResult.sentResponses(200, to: "BYE").count >= 1, "\(calleeResult.diagnostics)")
            #expect(taps.toPlatform.contains { $0.isResponse(200, to: "BYE") }, "the platform's BYE is answered 200\n\(lab.sbcLog)")

            // The platform's offer: RTP/SAVP with its key; the SBC's answer: RTP/SAVP, an offered
            // tag and suite, a key of its own.
            let platformInvite = try #require(taps.toSBC.first { $0.text.hasPrefix("INVITE ") }, "baresip's INVITE was not seen")
            let offered = SDESCrypto.all(in: platformInvite.sipBody)
            #expect(platformInvite.sipBody.contains("m=audio \(baresipRTP.port) RTP/SAVP "), "\(platformInvite.text)")
            let platformOK = try #require(taps.toPlatform.first { $0.isResponse(200, to: "INVITE") },
                                          "the SBC's 200 did not reach baresip")
            let answered = SDESCrypto.all(in: platformOK.sipBody)
            #expect(platformOK.sipBody.contains("m=audio \(platformRelay.port) RTP/SAVP "), "\(platformOK.sipBody)")
            #expect(answered.count == 1, "one a=crypto in the answer\n\(platformOK.sipBody)")
            let answer = try #require(answered.first)
            #expect(offered.contains { $0.tag == answer.tag && $0.suite == answer.suite },
                    "the answer takes an offered tag and its suite\n\(platformOK.sipBody)")
            #expect(!offered.contains { $0.keyBase64 == answer.keyBase64 }, "the SBC answers with a key of its own")

            // The carrier's offer: plain RTP/AVP, no keys, the SBC's address only; no key of the
            // platform leg (baresip's nor the SBC's) anywhere on the carrier side.
            let carrierInvite = try #require(calleeResult.receivedRequests("INVITE").first)
            #expect(carrierInvite.body.contains("m=audio \(carrierRelay.port) RTP/AVP "), "\(carrierInvite.body)")
            #expect(!carrierInvite.body.contains("SAVP") && !carrierInvite.body.contains("a=crypto"), "\(carrierInvite.body)")
            #expect(!containsAddress(carrierInvite.body, b.platform.ip), "\(carrierInvite.body)")
            Self.expectNoKeyOnCarrierSide(keys: offered + answered, carrierSIP: calleeResult.received, taps: taps,
                                          wire: wire, block: b)

            // Audio, platform -> carrier: plain PCMA from the relay port the INVITE named, with
            // baresip's tone in it, also after the forgery.
            #expect(carrier.received.allSatisfy { $0.from == carrierRelay }, "the carrier hears only the SBC's relay port")
            #expect(carrier.received.allSatisfy { $0.view.payloadType == 8 && $0.view.payload.count == 160 },
                    "plain 160-byte PCMA (no SRTP tag) at the carrier")
            let fromBaresip = carrier.received.filter { $0.view.ssrc == baresipSSRC }
            let atCarrier = ToneDetector.analyse(carrier.samples(of: fromBaresip), frequency: Self.platformTone,
                                                 other: Self.carrierTone)
            #expect(atCarrier.matching >= 40 && atCarrier.matching * 10 >= atCarrier.audible * 9 && atCarrier.otherMatching == 0,
                    "baresip's \(Int(Self.platformTone)) Hz tone at the carrier: \(atCarrier)")
            let afterForgery = fromBaresip.filter { $0.at > forgeryEnded }
            let atCarrierAfter = ToneDetector.analyse(carrier.samples(of: afterForgery), frequency: Self.platformTone,
                                                      other: Self.carrierTone)
            #expect(afterForgery.count >= 80 && atCarrierAfter.matching >= 15,
                    "baresip's tone still reaches the carrier after the forgery (\(afterForgery.count) packets; \(atCarrierAfter))")

            // Audio, carrier -> platform: SRTP from the relay (PCMA plus the 10-byte
            // AES_CM_128_HMAC_SHA1_80 tag), and what baresip decoded is the carrier's tone.
            let srtpToBaresip = taps.toPlatform.filter { $0.source == platformRelay }.compactMap { RTPView($0.payload) }
            #expect(answer.suite != "AES_CM_128_HMAC_SHA1_80" || srtpToBaresip.allSatisfy { $0.payload.count == 170 },
                    "SRTP packet sizes to baresip: \(Set(srtpToBaresip.map(\.payload.count)))")
            #expect(srtpToBaresip.count >= 150, "SRTP from the relay to baresip: \(srtpToBaresip.count) packets")
            let decoded = try baresip.decodedAudio()
            #expect(decoded.sampleRate == 8000, "baresip recorded at \(decoded.sampleRate) Hz")
            let atPlatform = ToneDetector.analyse(decoded.samples, frequency: Self.carrierTone, other: Self.platformTone)
            #expect(atPlatform.matching >= 40 && atPlatform.otherMatching == 0,
                    "the carrier's \(Int(Self.carrierTone)) Hz tone in what baresip decoded: \(atPlatform)\n\(baresip.logTail())")

            // Every forged packet reached the relay port from where it claimed to come, and none
            // reached the carrier.
            let forgedAtRelay = taps.toSBC.filter {
                $0.destination == platformRelay && RTPView($0.payload).map { forgedSequences.contains($0.sequence) } == true
            }
            for source in [baresipRTP, otherPlatformPort.local, stranger.local] {
                #expect(forgedAtRelay.filter { $0.source == source }.count == 10, "10 forged packets from \(source) at the relay")
            }
            #expect(!carrier.received.contains { forgedSequences.contains($0.view.sequence) && $0.view.ssrc == baresipSSRC },
                    "a forged sequence number reached the carrier")
            let marker = [UInt8](repeating: Self.forgedMarker, count: 32)
            #expect(!(carrier.received.map(\.bytes) + carrier.other).contains { $0.contains(bytes: marker) },
                    "a forged payload reached the carrier")

            // /metrics counts the forgeries that failed authentication (polled: relay counters
            // reach the metrics at the relay's own pace).
            let admin = AdminClient(base: URL(string: "http://\(b.admin.ip):\(b.admin.port)/")!, token: LabConfig.adminToken)
            var authFailures: Double?
            for _ in 0..<30 {
                let metrics = (try? await admin.text("metrics"))?.body ?? ""
                authFailures = prometheusValue(metrics, "sbc_media_srtp_failures_total", labels: ["reason": "auth"])
                if (authFailures ?? 0) >= 10 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect((authFailures ?? 0) >= 10, "sbc_media_srtp_failures_total{reason=\"auth\"} = \(authFailures.map { "\($0)" } ?? "absent")")

            // The CDR: the forgeries from baresip's own address failed authentication on side a
            // (the others are strangers to the latch: dropped before any crypto), the latch is
            // still baresip's address, side b is plain.
            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
            let legs = try #require(cdr["media"] as? [[String: Any]], "\(cdr)")
            let platformLeg = try #require(legs.first { $0["side"] as? String == "a" }, "\(cdr)")
            let carrierLeg = try #require(legs.first { $0["side"] as? String == "b" }, "\(cdr)")
            let honestFailures = Self.unauthenticatable(taps, b, answering: false)
            let failures = (platformLeg["srtp_auth_failures"] as? Int ?? 0) + (platformLeg["srtp_errors"] as? Int ?? 0)
            #expect((platformLeg["srtp_auth_failures"] as? Int ?? 0) >= 10 && failures <= 10 + honestFailures,
                    "side a: the 10 forgeries from baresip's address (and at most \(honestFailures) of baresip's own plain RTCP): \(platformLeg)")
            #expect(platformLeg["srtp_replays"] as? Int == 0, "side a: \(platformLeg)")
            #expect((platformLeg["packets_dropped"] as? Int ?? 0) >= 30, "side a: \(platformLeg)")
            #expect(platformLeg["latched_source"] as? String == baresipRTP.description, "side a: \(platformLeg)")
            for key in ["srtp_auth_failures", "srtp_replays", "srtp_errors"] {
                #expect(carrierLeg[key] as? Int == 0, "side b is plain: \(carrierLeg)")
            }
            #expect(carrierLeg["latched_source"] as? String == carrierSocket.local.description, "side b: \(carrierLeg)")
            let listing = try await lab.callDetailRecordsText()
            #expect(listing.contains("srtp: auth failures "), "the text listing shows the SRTP counters\n\(listing)")
        }
    }

    // MARK: - a plain carrier calls an SRTP-only platform (baresip answers)

    @Test("a plain carrier calls an SRTP-only baresip platform (policy required, AEAD_AES_128_GCM): RTP/SAVP offer with the SBC's key, tones both ways, no key on the carrier side",
          .enabled(if: Baresip.isInstalled, baresipMissing))
    func plainCarrierToBaresipSRTPPlatformWithGCM() async throws {
        var options = LabOptions()
        options.platformSRTP = "{policy: required, suites: [AEAD_AES_128_GCM]}"
        try await withLab("srtp-baresip-gcm", options: options) { lab in
            let b = lab.block
            let carrierSocket = try lab.socket(b.carrierA.ip)
            let taps = try WireTaps(b)
            defer { taps.close() }
            let capture = try await Self.startCapture(lab)
            try await lab.startSBC()
            let baresip = try await BaresipPlatform(lab: lab, address: b.platform, dialing: nil,
                                                    toneHz: Self.platformTone, lifetime: .seconds(30))
            try await baresip.waitUntilListening()

            // Carrier A calls (the route from carriers goes to the platform trunk) and hangs up after 6 s.
            let caller = try lab.startCaller("uac_test_media", from: b.carrierA, to: b.sbcCarrier, calls: 1, pauseMs: 6000,
                                             service: "platform", extraArguments: Self.mediaKeys(carrierSocket))
            let ok = try #require(await caller.waitForMessage(timeout: .seconds(15)) {
                $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
            }, "the carrier's call was not answered\n\(baresip.logTail())\n\(lab.sbcLog)")
            let carrierRelay = try #require(sdpAudioEndpoint(ok.body), "\(ok.body)")
            let carrier = TonePlayer(socket: carrierSocket, ssrc: Self.carrierSSRC, toneHz: Self.carrierTone,
                                     destination: carrierRelay)
            try await playTone(carrier, taps: taps, for: .seconds(15)) { !caller.process.isRunning }
            let result = await caller.waitForCompletion(timeout: .seconds(20))
            carrier.sending = false
            try await playTone(carrier, taps: taps, for: .milliseconds(500))
            await baresip.hangUp()
            taps.drain()
            let wire = try await capture?.finish()
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(baresip.logTail())\n\(lab.sbcLog)")

            // The SBC's offer to the platform: RTP/SAVP with its GCM key; baresip's answer: the
            // same tag and suite with a key of its own.
            let inviteToPlatform = try #require(taps.toPlatform.first { $0.text.hasPrefix("INVITE ") }, "no INVITE reached baresip")
            let offered = SDESCrypto.all(in: inviteToPlatform.sipBody)
            #expect(inviteToPlatform.sipBody.contains(" RTP/SAVP "), "\(inviteToPlatform.sipBody)")
            #expect(offered.map(\.suite) == ["AEAD_AES_128_GCM"], "the trunk's one suite\n\(inviteToPlatform.sipBody)")
            #expect(!containsAddress(inviteToPlatform.sipBody, b.carrierA.ip), "\(inviteToPlatform.sipBody)")
            let platformOK = try #require(taps.toSBC.first { $0.source.ip == b.platform.ip && $0.isResponse(200, to: "INVITE") },
                                          "baresip's 200 was not seen")
            let answered = SDESCrypto.all(in: platformOK.sipBody)
            #expect(platformOK.sipBody.contains(" RTP/SAVP "), "\(platformOK.sipBody)")
            #expect(answered.count == 1 && answered.first?.suite == "AEAD_AES_128_GCM" && answered.first?.tag == offered.first?.tag,
                    "\(platformOK.sipBody)")
            #expect(!answered.contains { a in offered.contains { $0.keyBase64 == a.keyBase64 } }, "two keys, one per direction")
            #expect(baresip.log.contains("cryptosuite=AEAD_AES_128_GCM"), "\(baresip.logTail())")

            // The carrier gets a plain answer, and no key of the platform leg anywhere.
            #expect(ok.body.contains("m=audio \(carrierRelay.port) RTP/AVP ") && !ok.body.contains("SAVP")
                        && !ok.body.contains("a=crypto"), "\(ok.body)")
            Self.expectNoKeyOnCarrierSide(keys: offered + answered, carrierSIP: result.received, taps: taps, wire: wire, block: b)

            // Audio both ways: GCM on the platform leg (PCMA plus a 16-byte tag), the tones detected.
            let flow = try #require(Self.platformMediaFlow(taps, b), "no RTP from baresip reached the SBC\n\(baresip.logTail())")
            let platformRelay = flow[0].destination
            let baresipSSRC = try #require(RTPView(flow[0].payload)).ssrc
            #expect(flow.allSatisfy { RTPView($0.payload)?.payload.count == 176 }, "GCM from baresip: PCMA plus 16-byte tag")
            let srtpToBaresip = taps.toPlatform.filter { $0.source == platformRelay }.compactMap { RTPView($0.payload) }
            #expect(srtpToBaresip.count >= 150 && srtpToBaresip.allSatisfy { $0.payload.count == 176 },
                    "GCM to baresip: \(srtpToBaresip.count) packets, sizes \(Set(srtpToBaresip.map(\.payload.count)))")
            let fromBaresip = carrier.received.filter { $0.view.ssrc == baresipSSRC }
            #expect(carrier.received.allSatisfy { $0.from == carrierRelay && $0.view.payload.count == 160 })
            let atCarrier = ToneDetector.analyse(carrier.samples(of: fromBaresip), frequency: Self.platformTone,
                                                 other: Self.carrierTone)
            #expect(atCarrier.matching >= 40 && atCarrier.otherMatching == 0,
                    "baresip's \(Int(Self.platformTone)) Hz tone at the carrier: \(atCarrier)\n\(lab.sbcLog)")
            let decoded = try baresip.decodedAudio()
            let atPlatform = ToneDetector.analyse(decoded.samples, frequency: Self.carrierTone, other: Self.platformTone)
            #expect(atPlatform.matching >= 40 && atPlatform.otherMatching == 0,
                    "the carrier's \(Int(Self.carrierTone)) Hz tone in what baresip decoded: \(atPlatform)\n\(baresip.logTail())")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
            let legs = (cdr["media"] as? [[String: Any]]) ?? []
            let platformLeg = try #require(legs.first { $0["trunk"] as? String == "platform" }, "\(cdr)")
            #expect(platformLeg["latched_source"] as? String == flow[0].source.description, "\(platformLeg)")
            let honestFailures = Self.unauthenticatable(taps, b, answering: true)
            let failures = (platformLeg["srtp_auth_failures"] as? Int ?? 0) + (platformLeg["srtp_errors"] as? Int ?? 0)
            #expect(failures <= honestFailures && platformLeg["srtp_replays"] as? Int == 0,
                    "an honest baresip: SRTP failures only for its \(honestFailures) packets no key covers: \(platformLeg)")
            // Every SRTP packet of baresip's audio authenticated: all of it reached the carrier
            // (but what it sent after the carrier's BYE).
            #expect(fromBaresip.count >= flow.count - 5, "\(fromBaresip.count) of baresip's \(flow.count) RTP packets at the carrier")
        }
    }

    // MARK: - a plain platform under `optional`

    @Test("a plain SIPp platform under srtp: {policy: optional} still completes a call with RTP both ways, no keys on either side")
    func plainPlatformUnderOptionalPolicy() async throws {
        var options = LabOptions()
        options.platformSRTP = "{policy: optional}"
        try await withLab("srtp-optional-plain", options: options) { lab in
            let b = lab.block
            let platformSocket = try lab.socket(b.platform.ip)
            let socketA = try lab.socket(b.carrierA.ip)
            let callee = try await lab.startCallee("uas_media", at: b.carrierA, extraArguments: Self.mediaKeys(socketA))
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_test_media", from: b.platform, to: b.sbcPlatform, calls: 1,
                                             pauseMs: 3000, extraArguments: Self.mediaKeys(platformSocket))
            let ok = try #require(await caller.waitForMessage(timeout: .seconds(10)) {
                $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
            }, "the platform's call was not answered\n\(lab.sbcLog)")
            let relay = try #require(sdpAudioEndpoint(ok.body), "\(ok.body)")
            let platform = RTPParty("platform", socket: platformSocket, ssrc: 0x9A7F_0010, destination: relay)
            let carrier = RTPParty("carrier A", socket: socketA, ssrc: 0xCA11_0010, learnsDestination: true)
            await playRTP([platform, carrier], for: .seconds(8)) { !caller.process.isRunning }
            let result = await caller.waitForCompletion(timeout: .seconds(20))
            let calleeResult = await lab.finish(callee)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(lab.sbcLog)")

            // A plain offer under `optional`: a plain answer to the platform, a plain offer to the carrier.
            #expect(ok.body.contains(" RTP/AVP ") && !ok.body.contains("SAVP") && !ok.body.contains("a=crypto"), "\(ok.body)")
            let invite = try #require(calleeResult.receivedRequests("INVITE").first, "\(calleeResult.diagnostics)")
            #expect(invite.body.contains(" RTP/AVP ") && !invite.body.contains("SAVP") && !invite.body.contains("a=crypto"),
                    "\(invite.body)")
            let fromCarrier = platform.received(from: carrier.ssrc)
            let fromPlatform = carrier.received(from: platform.ssrc)
            #expect(fromPlatform.count >= 100, "the platform's RTP reaches the carrier (\(fromPlatform.count))\n\(lab.sbcLog)")
            #expect(fromCarrier.count >= 100, "the carrier's RTP reaches the platform (\(fromCarrier.count))\n\(lab.sbcLog)")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
            let legs = (cdr["media"] as? [[String: Any]]) ?? []
            #expect(legs.count == 2, "\(cdr)")
            for leg in legs {
                #expect(leg["srtp_auth_failures"] as? Int == 0 && leg["srtp_errors"] as? Int == 0, "plain legs: \(leg)")
            }
        }
    }
}
