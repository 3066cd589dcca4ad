// The media relay end to end: the built `sbc` between a SIPp caller that plays real RTP (SIPp's
// g711a.pcap) and echoes what it receives (-rtp_echo), and a SIPp callee whose media is a UDP
// socket of the test, so the test sends, counts and times the carrier's RTP itself.
import Foundation
import Testing

@Suite(.serialized) struct MediaEndToEndTests {
    static let carrierSSRC: UInt32 = 0xCA11_0001
    static let strangerSSRC: UInt32 = 0xBAD0_0001

    /// The callee's `-key` arguments that point its SDP at `socket`.
    static func mediaKeys(_ socket: UDPSocket) -> [String] {
        ["-key", "rtp_ip", socket.local.ip, "-key", "rtp_port", String(socket.local.port)]
    }

    /// In both socket layouts (docs/MEDIA.md "Socket layout"): with `lookup` the relay's ports
    /// are steered to one socket per worker where the kernel allows it, and behave the same.
    @Test(arguments: ["per_port", "lookup"])
    func rtpFlowsBothWaysOnlyThroughTheRelayAndStrangersAreNotForwarded(layout: String) async throws {
        var options = LabOptions()
        options.carrierACodecs = ["PCMA", "telephone-event"]
        options.mediaSocketLayout = layout
        try await withLab("media-both-ways-\(layout)", options: options) { lab in
            try lab.installSamplePcap()
            let carrierRTP = try lab.socket(lab.block.carrierA.ip)
            let stranger = try lab.socket(lab.block.strangerIP)
            let callee = try await lab.startCallee("uas_media", at: lab.block.carrierA,
                                                   extraArguments: Self.mediaKeys(carrierRTP))
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_media", from: lab.block.platform, to: lab.block.sbcPlatform,
                                             calls: 1, pauseMs: 5000, extraArguments: ["-rtp_echo"])

            // The platform's first packet, relayed, names the SBC's carrier-side port.
            let first = try #require(await carrierRTP.receive(timeout: .seconds(10)), "no RTP reached the carrier")
            let relay = first.from
            #expect(relay.ip == lab.block.sbcIP, "media reaches the carrier from the SBC, not from the platform")
            #expect(LabOptions.mediaPorts.contains(Int(relay.port)))
            var received = [(ssrc: RTPPacket.ssrc(of: first.bytes), from: first.from)]

            // 2 s of carrier RTP at 50 packets/s; a stranger injects into the same relay port.
            for sequence in 0..<100 {
                try carrierRTP.send(RTPPacket.make(ssrc: Self.carrierSSRC, sequence: UInt16(sequence)), to: relay)
                if sequence % 2 == 0 {
                    try stranger.send(RTPPacket.make(ssrc: Self.strangerSSRC, sequence: UInt16(sequence)), to: relay)
                }
                received += await carrierRTP.collectRTP(for: .milliseconds(20))
            }
            received += await carrierRTP.collectRTP(for: .seconds(1))
            let result = await caller.waitForCompletion(timeout: .seconds(30))
            let calleeResult = await lab.finish(callee)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(lab.sbcLog)")
            // The layout in effect: `lookup` falls back (with a warning) where sk_lookup is refused.
            let log = String(decoding: FileManager.default.contents(
                atPath: lab.directory.appendingPathComponent("sbc.stderr.log").path) ?? Data(), as: UTF8.self)
            #expect(log.contains("\"socket_layout\":\"\(layout)\"") || log.contains("socket_layout lookup unavailable"),
                    "\(lab.sbcLog)")
            // The send path in effect (docs/MEDIA.md "Send batching"): `auto` is io_uring unless
            // the kernel refused it, which the relay says in a warning.
            #expect(log.contains("\"send_batching\":\"io_uring\"")
                        || (log.contains("\"send_batching\":\"sendmmsg\"") && log.contains("send_batching io_uring unavailable")),
                    "\(lab.sbcLog)")

            let echoes = received.filter { $0.ssrc == Self.carrierSSRC }.count
            let platformPackets = received.filter { $0.ssrc != Self.carrierSSRC && $0.ssrc != Self.strangerSSRC }.count
            #expect(platformPackets >= 100, "the platform's pcap RTP reaches the carrier (got \(platformPackets))")
            #expect(echoes >= 90, "carrier RTP reaches the platform and its echo comes back (got \(echoes) of 100)")
            #expect(received.allSatisfy { $0.ssrc != Self.strangerSSRC }, "a stranger's RTP is never relayed")
            #expect(received.allSatisfy { $0.from == relay }, "every packet comes from the one relay port")

            // Each side's SDP names only the SBC.
            let offer = try #require(calleeResult.receivedRequests("INVITE").first)
            let offerSDP = offer.body
            #expect(offerSDP.contains("c=IN IP4 \(lab.block.sbcIP)"))
            #expect(!offerSDP.contains(lab.block.platform.ip), "the platform's media address is hidden")
            #expect(offerSDP.contains("RTP/AVP 8 101"), "carrier A's codec policy: PCMA and DTMF only\n\(offerSDP)")
            #expect(!offerSDP.contains("PCMU"))
            let answer = try #require(result.receivedResponses(200, to: "INVITE").first)
            let answerSDP = answer.body
            #expect(answerSDP.contains("c=IN IP4 \(lab.block.sbcIP)"))
            #expect(!answerSDP.contains(lab.block.carrierA.ip), "the carrier's media address is hidden")

            // The CDR carries both legs' counters; the stranger's packets are counted as dropped.
            let cdr = try #require(try await lab.callDetailRecords().first)
            let legs = try #require(cdr["media"] as? [[String: Any]])
            let carrierLeg = try #require(legs.first { $0["side"] as? String == "b" })
            let platformLeg = try #require(legs.first { $0["side"] as? String == "a" })
            #expect((carrierLeg["packets_dropped"] as? Int ?? 0) >= 50)
            #expect((carrierLeg["packets_received"] as? Int ?? 0) >= 100)
            #expect((platformLeg["packets_forwarded"] as? Int ?? 0) >= 100)
            #expect(carrierLeg["latched_source"] as? String == carrierRTP.local.description)
            let listing = try await lab.callDetailRecordsText()
            #expect(listing.contains("media a platform: rx ") && listing.contains("media b carrier-a: rx "), "\(listing)")
            #expect(listing.contains("from \(carrierRTP.local)") && !listing.contains("lost -"), "\(listing)")
        }
    }

    @Test func carrierMediaStopsAndBothSidesGetByeWithinTheTimeout() async throws {
        // The lab's (and the reference guide's) 4 s timeout; g711a.pcap plays for 7 s, so the
        // platform is still sending when the SBC hangs up.
        let options = LabOptions()
        #expect(options.mediaTimeoutSeconds == 4)
        try await withLab("media-timeout", options: options) { lab in
            try lab.installSamplePcap()
            let carrierRTP = try lab.socket(lab.block.carrierA.ip)
            let callee = try await lab.startCallee("uas_media", at: lab.block.carrierA,
                                                   extraArguments: Self.mediaKeys(carrierRTP))
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_media_wait_bye", from: lab.block.platform,
                                             to: lab.block.sbcPlatform, calls: 1)
            let first = try #require(await carrierRTP.receive(timeout: .seconds(10)), "no RTP reached the carrier")
            for sequence in 0..<25 {
                try carrierRTP.send(RTPPacket.make(ssrc: Self.carrierSSRC, sequence: UInt16(sequence)), to: first.from)
                _ = await carrierRTP.collectRTP(for: .milliseconds(20))
            }
            // The carrier falls silent; the platform keeps playing. The relay stops forwarding
            // when the SBC ends the call, so the last packet seen marks the BYE.
            let silentSince = ContinuousClock.now
            var lastPacket = silentSince
            while ContinuousClock.now - silentSince < .seconds(6) {
                guard await carrierRTP.receive(timeout: .milliseconds(500)) != nil else { continue }
                lastPacket = ContinuousClock.now
            }
            let result = await caller.waitForCompletion(timeout: .seconds(20))
            let calleeResult = await lab.finish(callee)
            let detection = lastPacket - silentSince
            #expect(detection >= .milliseconds(3900) && detection <= .milliseconds(5000),
                    "BYE 4-5 s after the carrier fell silent (took \(detection))\n\(lab.sbcLog)")
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(lab.sbcLog)")
            for bye in [result.receivedRequests("BYE").first, calleeResult.receivedRequests("BYE").first] {
                let reason = try #require(bye?.values("Reason").first, "both sides get a BYE with a Reason")
                #expect(reason.contains("Media timeout") && reason.contains("carrier-a"), "\(reason)")
            }
            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "media_timeout")
            #expect(cdr["ended_by"] as? String == "sbc")
        }
    }

    @Test func aLateOfferCarrierAOffersNoAllowedCodecSoItIsHungUpAndCarrierBTakesTheCall() async throws {
        var options = LabOptions()
        options.carrierACodecs = ["PCMA", "PCMU", "telephone-event"]
        try await withLab("media-late-offer", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_late_offer", at: b.carrierA, name: "carrierA",
                                                     extraArguments: ["-key", "codec_pt", "18", "-key", "codec_name", "G729"])
            let carrierB = try await lab.startCallee("uas_late_offer", at: b.carrierB, name: "carrierB",
                                                     extraArguments: ["-key", "codec_pt", "8", "-key", "codec_name", "PCMA"])
            try await lab.startSBC()
            let caller = try await lab.runCaller("uac_late_offer", from: b.platform, to: b.sbcPlatform, calls: 1)
            let primary = await lab.finish(carrierA)
            let secondary = await lab.finish(carrierB)
            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")

            // Carrier A's G.729-only offer never reaches the platform: A's 200 is ACKed with an
            // answer rejecting the stream, then hung up with the reason.
            let ackA = try #require(primary.receivedRequests("ACK").first, "\(primary.diagnostics)")
            #expect(ackA.body.contains("m=audio 0 RTP/AVP 18 101") && !ackA.body.contains("a="), "\(ackA.body)")
            #expect(ackA.body.contains("c=IN IP4 0.0.0.0"), "\(ackA.body)")
            let byeA = try #require(primary.receivedRequests("BYE").first, "\(primary.diagnostics)")
            let reason = try #require(byeA.values("Reason").first)
            #expect(reason == "SIP;cause=488;text=\"Offer not acceptable: no allowed codec\"", "\(reason)")

            // Carrier B's PCMA offer reaches the platform anchored, and the platform's answer
            // reaches B in the ACK, anchored too.
            let ok = try #require(caller.receivedResponses(200, to: "INVITE").first)
            #expect(ok.body.contains("c=IN IP4 \(b.sbcPlatform.ip)") && ok.body.contains("RTP/AVP 8 101"), "\(ok.body)")
            #expect(!ok.body.contains(b.carrierB.ip))
            let ackB = try #require(secondary.receivedRequests("ACK").first, "\(secondary.diagnostics)")
            #expect(ackB.body.contains("c=IN IP4 \(b.sbcCarrier.ip)") && !ackB.body.contains(b.platform.ip), "\(ackB.body)")
            #expect(secondary.receivedRequests("BYE").count == 1, "the platform's BYE reaches B")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered")
            #expect(cdr["final_trunk"] as? String == "carrier-b")
            let attempts = try #require(cdr["attempts"] as? [[String: Any]])
            #expect(attempts.map { $0["outcome"] as? String } == ["failed_over", "answered"])
            #expect(attempts.first?["response_code"] as? Int == 488)
        }
    }
}
