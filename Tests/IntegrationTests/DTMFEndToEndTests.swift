// DTMF per trunk through the built `sbc` (docs/MEDIA.md, "DTMF"), with baresip as the platform
// (plain RTP; it sends RFC 4733 digits on its `ctrl_tcp` command `sndcode`, and logs the events
// it receives) and SIPp carriers:
//
// - the issue's lab check: carrier A (`dtmf: rfc4733`) answers 503, the call goes to carrier B
//   (`dtmf: info`), and baresip's RFC 4733 digits reach carrier B as INFO requests, the same
//   digits in order with plausible durations, while no telephone-event packet reaches it;
// - the reverse: a carrier sends INFO digits (both body types) to a platform that takes RFC 4733,
//   and they reach baresip as events in the carrier's stream: one SSRC, gapless sequence
//   numbers, baresip's telephone-event payload type, one timestamp and three end packets per event.
import Foundation
import Testing

@Suite("DTMF end to end (sbc binary + baresip platform + SIPp carriers)", .serialized, .timeLimit(.minutes(2)))
struct DTMFEndToEndTests {
    static let baresipMissing = Comment(rawValue: Baresip.notInstalled)
    static let carrierSSRC: UInt32 = 0xCA11_4733

    static func mediaKeys(_ socket: UDPSocket) -> [String] {
        ["-key", "rtp_ip", socket.local.ip, "-key", "rtp_port", String(socket.local.port)]
    }

    /// The `Signal` and `Duration` (ms) of an application/dtmf-relay body.
    static func dtmfRelay(_ body: String) -> (signal: String, duration: Int)? {
        var signal: String?
        var duration: Int?
        for line in body.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0].lowercased() == "signal" { signal = parts[1] }
            if parts[0].lowercased() == "duration" { duration = Int(parts[1]) }
        }
        guard let signal, let duration else { return nil }
        return (signal, duration)
    }

    @Test("lab: carrier A answers 503, the call goes to carrier B, and RFC 4733 digits from a baresip platform reach carrier B as SIP INFO: the same digits, in order, with plausible durations",
          .enabled(if: Baresip.isInstalled, baresipMissing))
    func rfc4733DigitsReachAnInfoCarrierAfterFailover() async throws {
        var options = LabOptions()
        options.carrierAInterworking = ["dtmf: rfc4733"]   // the lab's (LAB.md)
        options.carrierBInterworking = ["dtmf: info"]
        options.mediaTimeoutSeconds = 30   // carrier B sends no RTP in this test
        options.admin = true               // /metrics
        try await withLab("dtmf-to-info", options: options) { lab in
            let b = lab.block
            let carrierBMedia = try lab.socket(b.carrierB.ip)
            let control = Endpoint(ip: b.platform.ip, port: try Ports.free(on: b.platform.ip, avoiding: [b.platform.port]))
            let carrierA = try await lab.startCallee("uas_503", at: b.carrierA)
            let carrierB = try await lab.startCallee("uas_dtmf_info", at: b.carrierB,
                                                     extraArguments: Self.mediaKeys(carrierBMedia))
            try await lab.startSBC()
            let baresip = try await BaresipPlatform(
                lab: lab, address: b.platform, dialing: "sip:+15551230000@\(b.sbcPlatform.ip):\(b.sbcPlatform.port)",
                toneHz: 900, lifetime: .seconds(25), mediaenc: nil, control: control)

            _ = try #require(await carrierB.waitForMessage(timeout: .seconds(15)) {
                $0.direction == .received && $0.message.method == "ACK"
            }, "carrier B did not get the call\n\(baresip.logTail())\n\(lab.sbcLog)")
            let digits = ["4", "7", "#", "*", "0"]
            let answer = try await BaresipControl.send("sndcode", params: digits.joined(), to: control)
            #expect(answer.contains(#""ok":true"#), "baresip: \(answer)")

            // Carrier B's media socket meanwhile: baresip's audio, never a telephone-event.
            var media: [RTPView] = []
            let deadline = ContinuousClock.now + .seconds(8)
            while ContinuousClock.now < deadline {
                if let datagram = await carrierBMedia.receive(timeout: .milliseconds(50)), let view = RTPView(datagram.bytes) {
                    media.append(view)
                }
                let infos = carrierB.entriesSoFar().filter { $0.direction == .received && $0.message.method == "INFO" }
                if infos.count >= digits.count, media.count >= 50 { break }
            }
            try await Task.sleep(for: .milliseconds(300))   // anything late (a sixth INFO) would show now
            await baresip.hangUp()
            let resultB = await lab.finish(carrierB)
            let resultA = await lab.finish(carrierA)

            // The failover: carrier A refused with 503, carrier B answered.
            #expect(resultA.receivedRequests("INVITE").count >= 1 && resultA.sentResponses(503).count >= 1,
                    "\(resultA.diagnostics)")
            let invite = try #require(resultB.receivedRequests("INVITE").first, "\(resultB.diagnostics)\n\(lab.sbcLog)")
            #expect(baresip.log.contains("Call established"), "\(baresip.logTail())")

            // The digits, as INFO in carrier B's dialog: same digits, same order, one INFO each.
            let infos = resultB.receivedRequests("INFO")
            #expect(infos.count == digits.count, "\(infos.count) INFO for \(digits.count) digits\n\(resultB.diagnostics)\n\(lab.sbcLog)")
            let parsed = infos.compactMap { Self.dtmfRelay($0.body) }
            #expect(parsed.map(\.signal) == digits, "\(infos.map(\.body))")
            #expect(parsed.allSatisfy { (60...1000).contains($0.duration) },
                    "baresip plays each digit for about 180 ms: \(parsed.map(\.duration))")
            #expect(infos.allSatisfy { $0.first("Content-Type") == "application/dtmf-relay" })
            #expect(infos.allSatisfy { $0.callID == invite.callID && $0.tag("From") == invite.tag("From") },
                    "in carrier B's dialog, from the SBC's side of it")
            let cseqs = infos.compactMap(\.cseqNumber)
            #expect(cseqs == cseqs.sorted() && Set(cseqs).count == cseqs.count, "the SBC's own CSeq space: \(cseqs)")
            #expect(resultB.sentResponses(200, to: "INFO").count == digits.count)

            // Not a single telephone-event packet reached the INFO carrier; the audio did.
            #expect(media.count >= 50, "baresip's audio reached carrier B (\(media.count) packets)")
            #expect(media.allSatisfy { $0.payloadType == 8 }, "payload types at carrier B: \(Set(media.map(\.payloadType)))")
            let sequences = media.map(\.sequence)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 &+ 1 },
                    "carrier B's sequence numbers have no gap where the events were held back")

            // Counted, not logged: the metric, and no digit in the SBC's (info level) log.
            let admin = AdminClient(base: URL(string: "http://\(b.admin.ip):\(b.admin.port)/")!, token: LabConfig.adminToken)
            let metrics = (try? await admin.text("metrics"))?.body ?? ""
            #expect(prometheusValue(metrics, "sbc_dtmf_events_total",
                                    labels: ["trunk": "carrier-b", "direction": "sent", "method": "info"]) == Double(digits.count),
                    "\(metrics.split(separator: "\n").filter { $0.contains("dtmf") })")
            #expect(prometheusValue(metrics, "sbc_dtmf_events_total",
                                    labels: ["trunk": "platform", "direction": "received", "method": "rfc4733"]) == Double(digits.count))
            let log = String(decoding: FileManager.default.contents(atPath: lab.sbc!.stderrURL.path) ?? Data(), as: UTF8.self)
            #expect(!log.contains("\"digit\""), "digits never reach the log above debug level")
        }
    }

    @Test("a carrier's SIP INFO digits (both body types) reach a baresip platform that takes RFC 4733 as events in the carrier's stream",
          .enabled(if: Baresip.isInstalled, baresipMissing))
    func infoDigitsReachAnRFC4733Platform() async throws {
        var options = LabOptions()
        options.platformInterworking = ["dtmf: rfc4733"]
        options.carrierAInterworking = ["dtmf: info"]
        options.mediaTimeoutSeconds = 30
        try await withLab("dtmf-to-rfc4733", options: options) { lab in
            let b = lab.block
            let carrierSocket = try lab.socket(b.carrierA.ip)
            let taps = try WireTaps(b)
            defer { taps.close() }
            // The carrier sends its three INFOs one second after the ACK.
            let callee = try await lab.startCallee("uas_media_send_info", at: b.carrierA, pauseMs: 1000,
                                                   extraArguments: Self.mediaKeys(carrierSocket))
            try await lab.startSBC()
            let baresip = try await BaresipPlatform(
                lab: lab, address: b.platform, dialing: "sip:+15551230000@\(b.sbcPlatform.ip):\(b.sbcPlatform.port)",
                toneHz: 900, lifetime: .seconds(25), mediaenc: nil)
            let invite = try #require(await callee.waitForMessage(timeout: .seconds(15)) {
                $0.direction == .received && $0.message.method == "INVITE"
            }, "the carrier was not called\n\(baresip.logTail())\n\(lab.sbcLog)")
            let carrierRelay = try #require(sdpAudioEndpoint(invite.body), "\(invite.body)")
            let carrier = TonePlayer(socket: carrierSocket, ssrc: Self.carrierSSRC, toneHz: 700, destination: carrierRelay)

            // The carrier's RTP flows while its INFOs go out; then a second for the last digit.
            try await playTone(carrier, taps: taps, for: .seconds(10)) {
                callee.entriesSoFar().filter { $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INFO" }.count >= 3
            }
            try await playTone(carrier, taps: taps, for: .milliseconds(1200))
            await baresip.hangUp()
            carrier.sending = false
            let result = await lab.finish(callee)
            taps.drain()

            // Every INFO was answered 200 by the SBC (not relayed to a platform that takes RFC 4733).
            #expect(result.receivedResponses(200, to: "INFO").count == 3, "\(result.diagnostics)\n\(lab.sbcLog)")
            #expect(!taps.toPlatform.contains { $0.text.hasPrefix("INFO ") }, "no INFO reached the platform")

            // What reached baresip from the relay: the carrier's stream, events injected into it.
            let platformInvite = try #require(taps.toSBC.first { $0.source.ip == b.platform.ip && $0.text.hasPrefix("INVITE ") })
            let eventPT = try #require(Self.telephoneEventPayloadType(platformInvite.sipBody), "\(platformInvite.sipBody)")
            let stream = taps.toPlatform.filter { !$0.isSIP }.compactMap { RTPView($0.payload) }
                .filter { $0.ssrc == Self.carrierSSRC }
            let events = stream.filter { $0.payloadType == eventPT }
            #expect(stream.count >= 100 && events.count >= 9, "\(stream.count) packets, \(events.count) events\n\(lab.sbcLog)")
            let sequences = stream.map(\.sequence)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 &+ 1 },
                    "one gapless sequence, audio and injected events together")
            // Per event: one timestamp, the marker on its first packet, three end packets.
            let byTimestamp = Dictionary(grouping: events, by: \.timestamp).sorted { $0.key < $1.key }
            #expect(byTimestamp.map { $0.value.first?.payload.first } == [3, 11, 7], "digits 3, #, 7 in order")
            for (_, packets) in byTimestamp {
                #expect(packets.filter { $0.payload.count >= 2 && $0.payload[$0.payload.startIndex + 1] & 0x80 != 0 }.count == 3,
                        "three end packets")
            }
            let ended = byTimestamp.map { group -> Int in
                let last = group.value.last!.payload
                return Int(last[last.startIndex + 2]) << 8 | Int(last[last.startIndex + 3])
            }
            #expect(ended == [1600, 1200, 2000], "200 ms, 150 ms, and 250 ms for the body without a duration")

            // baresip heard them: its log names each event it received.
            let heard = baresip.log.split(separator: "\n").filter { $0.contains("received event:") && $0.contains("(end=0)") }
                .compactMap { line -> Character? in line.firstIndex(of: "'").map { line[line.index(after: $0)] } }
            #expect(heard == ["3", "#", "7"], "baresip's log\n\(baresip.logTail())")
        }
    }

    /// The telephone-event payload type of the first audio stream of an SDP body.
    static func telephoneEventPayloadType(_ sdp: String) -> UInt8? {
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=rtpmap:") && line.contains("telephone-event") {
            return line.dropFirst("a=rtpmap:".count).split(separator: " ").first.flatMap { UInt8($0) }
        }
        return nil
    }
}
