// REFER under `refer: terminate` and latching per trunk through the built `sbc` (docs/SIP.md,
// "Transfers (REFER)"; docs/MEDIA.md, "Latching and strict source"). SIPp plays the signalling;
// in the latching tests the platform's and carrier A's media are sockets of the test, and the
// platform sends from another local address than its SDP names (what baresip does on a host
// with several addresses, and what a NAT does to every packet).
import Foundation
import Testing

@Suite("Transfers and latching end to end (sbc binary + SIPp + test-owned RTP)", .serialized, .timeLimit(.minutes(2)))
struct TransferAndLatchingEndToEndTests {
    /// The number the platform transfers to (uas_transfer_503 refuses calls to it with 503).
    static let target = "+17775550123"
    static let platformSSRC: UInt32 = 0x5EED_0010
    static let carrierASSRC: UInt32 = 0x5EED_000A

    static func attempts(_ cdr: [String: Any]) -> [(trunk: String?, outcome: String?, reason: String?)] {
        ((cdr["attempts"] as? [[String: Any]]) ?? []).map {
            ($0["trunk"] as? String, $0["outcome"] as? String, $0["reason"] as? String)
        }
    }

    @Test("REFER from the platform (terminate): 202, NOTIFY 100 and 200, the target called on B after A's 503, A hung up")
    func referTerminate() async throws {
        var options = LabOptions()
        options.platformInterworking = ["refer: terminate"]
        options.mediaTimeoutSeconds = 60   // no RTP in this test
        try await withLab("refer-terminate", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_transfer_503", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            // INVITE / ACK / 0.5 s / REFER / 202 / NOTIFY x2 / 1 s / BYE.
            let caller = try await lab.runCaller("uac_refer", from: b.platform, to: b.sbcPlatform, calls: 1,
                                                 pauseMs: 1000, extraArguments: ["-key", "target", Self.target],
                                                 timeout: .seconds(30))
            let primary = await lab.finish(carrierA)
            let secondary = await lab.finish(carrierB)
            #expect(caller.allCallsSucceeded,
                    "\(caller.diagnostics)\n\(primary.diagnostics)\n\(secondary.diagnostics)\n\(lab.sbcLog)")

            // The platform: 202, then the progress of its transfer.
            #expect(caller.receivedResponses(202, to: "REFER").count == 1)
            let notifies = caller.receivedRequests("NOTIFY")
            #expect(notifies.count == 2, "\(caller.diagnostics)")
            #expect(notifies.allSatisfy { $0.values("Event").first == "refer;id=2" })
            #expect(notifies.first?.body.hasPrefix("SIP/2.0 100 Trying") == true)
            #expect(notifies.first?.values("Content-Type").first == "message/sipfrag;version=2.0")
            #expect(notifies.last?.body.hasPrefix("SIP/2.0 200 OK") == true)
            #expect(notifies.last?.values("Subscription-State").first == "terminated;reason=noresource")
            #expect(caller.receivedRequests("BYE").isEmpty, "the platform's call lives on, with the target")

            // Carrier A: its call, then the transfer's INVITE (refused 503), then the SBC's BYE for its call.
            let invitesA = primary.receivedRequests("INVITE")
            let callA = try #require(invitesA.first { $0.requestURI?.contains(Self.target) == false })
            let transferA = try #require(invitesA.first { $0.requestURI?.contains(Self.target) == true },
                                         "the target is routed like a platform call: carrier A first\n\(primary.diagnostics)")
            #expect(transferA.callID != callA.callID, "the transfer is a new call with a Call-ID of its own")
            #expect(primary.sentResponses(503, to: "INVITE").count == 1)
            let byeA = try #require(primary.receivedRequests("BYE").first, "carrier A is hung up\n\(lab.sbcLog)")
            #expect(byeA.callID == callA.callID)
            #expect(byeA.values("Reason").first == "SIP;cause=200;text=\"Call transferred\"")

            // Carrier B: the target, with Referred-By naming the SBC, then the platform's BYE.
            let inviteB = try #require(secondary.receivedRequests("INVITE").first,
                                       "503 fails the transfer over to B\n\(secondary.diagnostics)\n\(lab.sbcLog)")
            #expect(inviteB.requestURI?.contains(Self.target) == true, "\(inviteB.startLine)")
            #expect(inviteB.values("Referred-By").first == "<sip:agent@\(b.sbcIP)>")
            #expect(!inviteB.raw.contains(b.platform.ip), "the platform's addresses stay hidden")
            #expect(secondary.receivedRequests("BYE").count == 1, "the platform's hang-up reaches the target")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
            let attempts = Self.attempts(cdr)
            #expect(attempts.map(\.trunk) == ["carrier-a", "carrier-a", "carrier-b"], "\(cdr)")
            #expect(attempts.map(\.outcome) == ["answered", "failed_over", "answered"], "\(cdr)")
            #expect(attempts.first?.reason == "transferred", "\(cdr)")
        }
    }

    /// A call from the platform whose RTP comes from 127.0.N.20 while its SDP names 127.0.N.10;
    /// carrier A's media is a test socket that sends to the SBC from the start.
    struct NattedCall {
        let caller: SIPpProcess
        let carrierA: SIPpProcess
        let platform: RTPParty
        let signalledPlatform: RTPParty
        let mediaA: RTPParty
        let realSource: Endpoint
        var parties: [RTPParty] { [platform, signalledPlatform, mediaA] }
    }

    static func establishNatted(_ lab: Lab, scenario: String, pauseMs: Int) async throws -> NattedCall {
        let b = lab.block
        let signalled = try lab.socket(b.platform.ip)                 // what the platform's SDP names
        let real = try lab.socket("127.0.\(b.n).20")                   // where its RTP really comes from
        let socketA = try lab.socket(b.carrierA.ip)
        let keysA = ["-key", "rtp_ip", socketA.local.ip, "-key", "rtp_port", String(socketA.local.port)]
        let calleeA = try await lab.startCallee("uas_media", at: b.carrierA, name: "carrierA", extraArguments: keysA)
        try await lab.startSBC()
        let caller = try lab.startCaller(scenario, from: b.platform, to: b.sbcPlatform, calls: 1, pauseMs: pauseMs,
                                         extraArguments: ["-key", "rtp_ip", signalled.local.ip,
                                                          "-key", "rtp_port", String(signalled.local.port)])
        let ok = try #require(await caller.waitForMessage(timeout: .seconds(10)) {
            $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
        }, "the platform's call was not answered\n\(lab.sbcLog)")
        let relay = try #require(sdpAudioEndpoint(ok.body), "\(ok.body)")
        let inviteA = try #require(await calleeA.waitForMessage(timeout: .seconds(5)) {
            $0.direction == .received && $0.message.method == "INVITE"
        })
        let carrierSide = try #require(sdpAudioEndpoint(inviteA.body), "\(inviteA.body)")
        return NattedCall(
            caller: caller, carrierA: calleeA,
            platform: RTPParty("platform (real source)", socket: real, ssrc: platformSSRC, destination: relay),
            signalledPlatform: RTPParty("platform (signalled)", socket: signalled, ssrc: 0, destination: nil),
            mediaA: RTPParty("carrier A", socket: socketA, ssrc: carrierASSRC, destination: carrierSide),
            realSource: real.local)
    }

    @Test("latching signalled: RTP from another address than the SDP names is dropped and the BYE's Reason says from where")
    func unexpectedSourceUnderSignalled() async throws {
        try await withLab("latching-signalled", options: LabOptions()) { lab in
            let b = lab.block
            let call = try await Self.establishNatted(lab, scenario: "uac_test_media_wait_bye", pauseMs: 200)
            await playRTP(call.parties, for: .seconds(10)) { !call.caller.process.isRunning }
            let result = await call.caller.waitForCompletion(timeout: .seconds(10))
            let primary = await lab.finish(call.carrierA)
            #expect(result.allCallsSucceeded, "the SBC hangs the platform up\n\(result.diagnostics)\n\(lab.sbcLog)")
            #expect(call.mediaA.received(from: Self.platformSSRC).isEmpty, "nothing from the unexpected source is relayed")
            #expect(!call.signalledPlatform.received.isEmpty, "carrier A's RTP goes to the signalled address")

            let expectedStart = "SIP;cause=408;text=\"Media timeout: no RTP from platform for 4 s ("
            let expectedEnd = " packets arrived from \(call.realSource), not the signalled \(b.platform.ip); "
                + "set trunks[].latching: any for a party behind NAT)\""
            for bye in [result.receivedRequests("BYE").first, primary.receivedRequests("BYE").first] {
                let reason = try #require(bye?.values("Reason").first, "both sides get a BYE with a Reason\n\(lab.sbcLog)")
                #expect(reason.hasPrefix(expectedStart) && reason.hasSuffix(expectedEnd), "\(reason)")
                let count = reason.dropFirst(expectedStart.count).prefix { $0.isNumber }
                #expect((Int(count) ?? 0) >= 150, "about 4 s of 20 ms packets: \(reason)")
            }
            #expect(lab.sbcLog.contains("arrived from \(call.realSource)"), "the log says so too\n\(lab.sbcLog)")
            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "media_timeout", "\(cdr)")
        }
    }

    @Test("latching any on the platform trunk: the same platform's media flows both ways")
    func anySourceOnThePlatformTrunk() async throws {
        var options = LabOptions()
        options.platformInterworking = ["latching: any"]
        try await withLab("latching-any", options: options) { lab in
            let call = try await Self.establishNatted(lab, scenario: "uac_test_media", pauseMs: 6000)
            await playRTP(call.parties, for: .seconds(12)) { !call.caller.process.isRunning }
            let result = await call.caller.waitForCompletion(timeout: .seconds(10))
            let primary = await lab.finish(call.carrierA)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(lab.sbcLog)")
            #expect(result.receivedRequests("BYE").isEmpty, "no media timeout: the platform hangs up itself")
            #expect(primary.receivedRequests("BYE").count == 1)
            let atA = call.mediaA.received(from: Self.platformSSRC)
            #expect(atA.count >= 200, "the platform's RTP reaches carrier A (\(atA.count))\n\(lab.sbcLog)")
            let atPlatform = call.platform.received(from: Self.carrierASSRC)
            #expect(atPlatform.count >= 200, "carrier A's RTP reaches the platform's real source (\(atPlatform.count))")
            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
        }
    }
}
