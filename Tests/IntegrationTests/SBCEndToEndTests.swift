// End-to-end tests: the real `sbc` binary between SIPp peers on a private loopback block per test.
// Needs the built binary (`swift build --product sbc`, or SBC_BINARY) and sipp on PATH; either
// missing is a test failure, never a skip. Set SBC_KEEP_TEST_DIRS=1 to keep every test's temp dir
// (config, SBC stderr, SIPp message/error/stat/screen logs).
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("SBC end to end (sbc binary + SIPp)", .serialized, .timeLimit(.minutes(2)))
struct SBCEndToEndTests {

    // MARK: calls

    @Test("50 calls platform -> carrier A, caller hangs up; carrier B gets nothing")
    func fiftyCallsPlatformToCarrierCallerHangsUp() async throws {
        try await withLab("fifty-calls") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let carrierB = try lab.socket(b.carrierB.ip, port: b.carrierB.port) // silent sink
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform,
                                                 calls: 50, rate: 50, pauseMs: 200)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(caller.successfulCalls == 50, "\(caller.diagnostics)")
            #expect(callee.receivedInitialInviteCallIDs.count == 50, "\(callee.diagnostics)")
            #expect(Set(callee.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 50,
                    "carrier A must complete 50 calls (200 to 50 BYEs)\n\(callee.diagnostics)")
            #expect((callee.failedCalls ?? 0) == 0, "\(callee.diagnostics)")
            let invitesToB = await carrierB.drain(quiet: .milliseconds(100))
                .compactMap { SIPMessage(bytes: $0.bytes) }.filter { $0.method == "INVITE" }
            #expect(invitesToB.isEmpty, "carrier B (standby) received \(invitesToB.count) INVITEs")
        }
    }

    @Test("BYE from the callee (carrier) ends the call on both legs")
    func calleeHangsUp() async throws {
        try await withLab("callee-bye") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_send_bye", at: b.carrierA, name: "carrierA", pauseMs: 200)
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_wait_bye", from: b.platform, to: b.sbcPlatform, calls: 3)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(Set(caller.receivedRequests("BYE").compactMap(\.callID)).count == 3, "\(caller.diagnostics)")
            #expect(Set(callee.receivedResponses(200, to: "BYE").compactMap(\.callID)).count == 3,
                    "the callee's BYEs must be answered 200 through the SBC\n\(callee.diagnostics)")
            #expect((callee.failedCalls ?? 0) == 0, "\(callee.diagnostics)")
        }
    }

    @Test("CANCEL while ringing: caller gets 200 to CANCEL and 487, callee gets CANCEL")
    func cancelWhileRinging() async throws {
        try await withLab("cancel") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_ring_cancel", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_cancel", from: b.platform, to: b.sbcPlatform,
                                                 calls: 2, pauseMs: 300)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(Set(caller.receivedResponses(487, to: "INVITE").compactMap(\.callID)).count == 2,
                    "\(caller.diagnostics)")
            #expect(caller.receivedResponses(200, to: "INVITE").isEmpty, "a cancelled call must not be answered")
            #expect(Set(callee.receivedRequests("CANCEL").compactMap(\.callID)).count == 2, "\(callee.diagnostics)")
            #expect(Set(callee.receivedRequests("ACK").compactMap(\.callID)).count == 2,
                    "the SBC must ACK the callee's 487\n\(callee.diagnostics)")
            #expect((callee.failedCalls ?? 0) == 0, "\(callee.diagnostics)")
        }
    }

    @Test("re-INVITE mid-call is relayed and answered end to end")
    func reInviteMidCall() async throws {
        try await withLab("reinvite") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_reinvite", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_reinvite", from: b.platform, to: b.sbcPlatform,
                                                 calls: 2, pauseMs: 200)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            let reInvites = callee.receivedRequests("INVITE").filter { $0.tag("To") != nil }
            #expect(Set(reInvites.compactMap(\.callID)).count == 2, "\(callee.diagnostics)")
            #expect(reInvites.allSatisfy { $0.body.contains("m=audio") }, "the re-INVITE must carry the offer")
            #expect(Set(caller.receivedResponses(200, to: "INVITE").filter { $0.cseqNumber == 2 }
                .compactMap(\.callID)).count == 2, "the caller must get 200 to its re-INVITE")
            #expect((callee.failedCalls ?? 0) == 0, "\(callee.diagnostics)")
        }
    }

    @Test("calls from carrier A and carrier B reach the platform")
    func carrierToPlatformCall() async throws {
        try await withLab("inbound") { lab in
            let b = lab.block
            let platform = try await lab.startCallee("uas_basic", at: b.platform, name: "platform")
            try await lab.startSBC()

            let fromA = try await lab.runCaller("uac_basic", from: b.carrierA, to: b.sbcCarrier, calls: 3,
                                                name: "carrierA-caller")
            let fromB = try await lab.runCaller("uac_basic", from: b.carrierB, to: b.sbcCarrier, calls: 2,
                                                name: "carrierB-caller")
            let callee = await lab.finish(platform)

            #expect(fromA.allCallsSucceeded, "\(fromA.diagnostics)\n\(lab.sbcLog)")
            #expect(fromB.allCallsSucceeded, "\(fromB.diagnostics)\n\(lab.sbcLog)")
            #expect(callee.receivedInitialInviteCallIDs.count == 5, "\(callee.diagnostics)")
            #expect(Set(callee.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 5, "\(callee.diagnostics)")
        }
    }

    // MARK: Call-ID and topology hiding

    @Test("call_id: preserve -> the carrier sees the platform's Call-IDs")
    func callIDPreserved() async throws {
        var options = LabOptions()
        options.callID = .preserve
        try await withLab("callid-preserve", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 5, rate: 20)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            let platformIDs = caller.sentInitialInviteCallIDs
            #expect(platformIDs.count == 5)
            #expect(callee.receivedInitialInviteCallIDs == platformIDs,
                    "platform sent \(platformIDs.sorted()), carrier saw \(callee.receivedInitialInviteCallIDs.sorted())")
        }
    }

    @Test("call_id: new -> the carrier sees different Call-IDs")
    func callIDNew() async throws {
        var options = LabOptions()
        options.callID = .new
        try await withLab("callid-new", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 5, rate: 20)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            let platformIDs = caller.sentInitialInviteCallIDs
            let carrierIDs = callee.receivedInitialInviteCallIDs
            #expect(platformIDs.count == 5)
            #expect(carrierIDs.count == 5, "\(callee.diagnostics)")
            #expect(carrierIDs.isDisjoint(with: platformIDs),
                    "platform Call-IDs leaked to the carrier: \(carrierIDs.intersection(platformIDs).sorted())")
            let leaked = carrierIDs.filter { containsAddress($0, b.platform.ip) }
            #expect(leaked.isEmpty, "new Call-IDs must not carry the platform's address: \(leaked.sorted())")
        }
    }

    @Test("topology hiding: no platform host in Via/Contact/Record-Route/Route at the carrier")
    func topologyHiding() async throws {
        try await withLab("topology") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_reinvite", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            // INVITE, ACK, re-INVITE, ACK and BYE all cross the SBC towards the carrier.
            let caller = try await lab.runCaller("uac_reinvite", from: b.platform, to: b.sbcPlatform, calls: 2)
            let callee = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(!callee.received.isEmpty, "\(callee.diagnostics)")
            var leaks: [String] = []
            for message in callee.received {
                for header in ["Via", "Contact", "Record-Route", "Route"] {
                    for value in message.values(header) where containsAddress(value, b.platform.ip) {
                        leaks.append("\(message.startLine) | \(header): \(value)")
                    }
                }
            }
            #expect(leaks.isEmpty, "platform host \(b.platform.ip) seen by the carrier:\n\(leaks.joined(separator: "\n"))")
        }
    }

    // MARK: robustness and access control

    @Test("garbage, truncated, oversized and inconsistent datagrams: no crash, 400 where parseable, calls still work")
    func malformedDatagrams() async throws {
        var options = LabOptions()
        options.maxMessageBytes = 8192
        try await withLab("malformed", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let sbc = try await lab.startSBC()
            let sock = try lab.socket(b.platform.ip, port: b.platform.port)
            let me = sock.local
            let target = b.sbcPlatform
            let uri = "sip:+15551230000@\(target.ip):\(target.port)"

            struct Case {
                let label: String
                let bytes: [UInt8]
                let branch: String?
                let expect400: Bool
            }
            func broken(_ label: String, expect400: Bool = true, method: String = "INVITE",
                        edit: ([String], String) -> [String], body: String = RawSIP.sdp) -> Case {
                let branch = RawSIP.branch()
                let headers = RawSIP.inviteHeaders(from: me, to: target, callID: RawSIP.callID(me), branch: branch,
                                                   fromTag: RawSIP.tag(), bodyLength: body.utf8.count)
                let text = RawSIP.lines(["\(method) \(uri) SIP/2.0"] + edit(headers, branch)) + body
                return Case(label: label, bytes: Array(text.utf8), branch: branch, expect400: expect400)
            }
            func without(_ name: String) -> ([String], String) -> [String] {
                { headers, _ in headers.filter { !$0.lowercased().hasPrefix(name.lowercased() + ":") } }
            }
            func replacing(_ name: String, with line: String) -> ([String], String) -> [String] {
                { headers, _ in headers.map { $0.lowercased().hasPrefix(name.lowercased() + ":") ? line : $0 } }
            }
            var rng = SystemRandomNumberGenerator()
            let randomBytes = (0..<512).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let maxDatagram = (0..<65507).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let valid = RawSIP.invite(from: me, to: target, callID: RawSIP.callID(me), branch: RawSIP.branch(),
                                      fromTag: RawSIP.tag())
            let oversizedBranch = RawSIP.branch()
            let oversized = RawSIP.lines([
                "OPTIONS sip:\(target.ip):\(target.port) SIP/2.0",
                "Via: SIP/2.0/UDP \(me.ip):\(me.port);branch=\(oversizedBranch);rport",
                "Max-Forwards: 70",
                "From: <sip:itest@\(me.ip)>;tag=\(RawSIP.tag())",
                "To: <sip:\(target.ip)>",
                "Call-ID: \(RawSIP.callID(me))",
                "CSeq: 1 OPTIONS",
                "X-Padding: " + String(repeating: "x", count: 60_000),
                "Content-Length: 0",
            ])

            let cases: [Case] = [
                // Unparseable or not a request: survive, and never answer 2xx.
                Case(label: "random bytes", bytes: randomBytes, branch: nil, expect400: false),
                Case(label: "65507 random bytes", bytes: maxDatagram, branch: nil, expect400: false),
                Case(label: "CRLF keep-alive", bytes: Array("\r\n\r\n".utf8), branch: nil, expect400: false),
                Case(label: "empty datagram", bytes: [], branch: nil, expect400: false),
                Case(label: "bare method", bytes: Array("INVITE".utf8), branch: nil, expect400: false),
                Case(label: "truncated mid-header", bytes: Array(valid.utf8.prefix(valid.utf8.count / 3)),
                     branch: nil, expect400: false),
                Case(label: "NUL and non-UTF-8 bytes in headers",
                     bytes: Array(valid.utf8.prefix(80)) + [0, 0xff, 0xfe, 0xc3, 0x28, 0] + Array(valid.utf8.dropFirst(80)),
                     branch: nil, expect400: false),
                Case(label: "stray 200 response", bytes: Array(RawSIP.lines([
                    "SIP/2.0 200 OK",
                    "Via: SIP/2.0/UDP \(target.ip):\(target.port);branch=z9hG4bK-nosuchtxn",
                    "From: <sip:a@\(target.ip)>;tag=1", "To: <sip:b@\(me.ip)>;tag=2",
                    "Call-ID: stray@\(me.ip)", "CSeq: 1 INVITE", "Content-Length: 0",
                ]).utf8), branch: nil, expect400: false),
                Case(label: "oversized OPTIONS (> max_message_bytes)", bytes: Array(oversized.utf8),
                     branch: oversizedBranch, expect400: false),
                // Parseable enough to answer: 400 with a reason phrase.
                broken("Content-Length larger than the body",
                       edit: replacing("Content-Length", with: "Content-Length: 5000")),
                broken("negative Content-Length", edit: replacing("Content-Length", with: "Content-Length: -5")),
                broken("missing Call-ID", edit: without("Call-ID")),
                broken("missing From", edit: without("From")),
                broken("non-numeric CSeq", edit: replacing("CSeq", with: "CSeq: abc INVITE")),
                broken("CSeq method differs from the request method",
                       edit: replacing("CSeq", with: "CSeq: 1 BYE")),
            ]

            for item in cases {
                try sock.send(item.bytes, to: target)
                if let branch = item.branch {
                    let response = await sock.awaitResponse(branch: branch,
                                                            timeout: item.expect400 ? .seconds(2) : .milliseconds(500))
                    if item.expect400 {
                        #expect(response?.statusCode == 400,
                                "\(item.label): expected 400, got \(response?.startLine ?? "no response")\n\(lab.sbcLog)")
                        let reason = response?.reasonPhrase ?? ""
                        #expect(response == nil || !reason.isEmpty,
                                "\(item.label): the 400 must carry a reason phrase: \(response?.startLine ?? "-")")
                        if let response, let ack = RawSIP.ack(for: response, from: me, to: target,
                                                               requestURI: uri, branch: branch) {
                            _ = try? sock.send(ack, to: target)
                        }
                    } else if let code = response?.statusCode {
                        #expect(code >= 400, "\(item.label): must not be accepted, got \(response?.startLine ?? "")")
                    }
                } else {
                    for datagram in await sock.drain(quiet: .milliseconds(150)) {
                        if let code = SIPMessage(bytes: datagram.bytes)?.statusCode {
                            #expect(code >= 300 || code < 200, "\(item.label): answered \(code)")
                        }
                    }
                }
                // Still alive and still answering?
                try #require(sbc.isRunning, "the SBC died after '\(item.label)'\n\(lab.sbcLog)")
                let pingBranch = RawSIP.branch()
                try sock.send(RawSIP.options(from: me, to: target, callID: RawSIP.callID(me), branch: pingBranch), to: target)
                let pong = await sock.awaitResponse(branch: pingBranch, timeout: .seconds(2))
                #expect(pong?.statusCode == 200, "no 200 to OPTIONS after '\(item.label)'\n\(lab.sbcLog)")
            }
            sock.close()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1)
            let callee = await lab.finish(carrierA)
            #expect(sbc.isRunning, "\(lab.sbcLog)")
            #expect(caller.allCallsSucceeded, "a call must still complete after the garbage\n\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(callee.receivedInitialInviteCallIDs.count == 1, "\(callee.diagnostics)")
        }
    }

    @Test("a request from an unknown source address gets 403 and goes nowhere")
    func unknownSourceGets403() async throws {
        try await withLab("unknown-source") { lab in
            let b = lab.block
            let carrierA = try lab.socket(b.carrierA.ip, port: b.carrierA.port) // sinks: nothing may arrive
            let platform = try lab.socket(b.platform.ip, port: b.platform.port)
            try await lab.startSBC()
            let stranger = try lab.socket(b.strangerIP)

            for target in [b.sbcPlatform, b.sbcCarrier] {
                let branch = RawSIP.branch()
                let uri = "sip:+15551230000@\(target.ip):\(target.port)"
                try stranger.send(RawSIP.invite(from: stranger.local, to: target, callID: RawSIP.callID(stranger.local),
                                                branch: branch, fromTag: RawSIP.tag()), to: target)
                let response = await stranger.awaitResponse(branch: branch, timeout: .seconds(3))
                #expect(response?.statusCode == 403,
                        "INVITE from \(stranger.local) to \(target): \(response?.startLine ?? "no response")\n\(lab.sbcLog)")
                if let response, let ack = RawSIP.ack(for: response, from: stranger.local, to: target,
                                                       requestURI: uri, branch: branch) {
                    _ = try? stranger.send(ack, to: target)
                }
            }
            let leaked = (await carrierA.drain(quiet: .milliseconds(200)) + (await platform.drain(quiet: .milliseconds(100))))
                .compactMap { SIPMessage(bytes: $0.bytes) }.filter { $0.method == "INVITE" }
            #expect(leaked.isEmpty, "an INVITE from an unknown source was relayed: \(leaked.map(\.startLine))")
        }
    }

    @Test("unknown_source: drop -> no answer at all")
    func unknownSourceDropped() async throws {
        var options = LabOptions()
        options.unknownSource = "drop"
        try await withLab("unknown-drop", options: options) { lab in
            let b = lab.block
            try await lab.startSBC()
            let stranger = try lab.socket(b.strangerIP)
            let branch = RawSIP.branch()
            try stranger.send(RawSIP.invite(from: stranger.local, to: b.sbcPlatform, callID: RawSIP.callID(stranger.local),
                                            branch: branch, fromTag: RawSIP.tag()), to: b.sbcPlatform)
            let response = await stranger.awaitResponse(branch: branch, timeout: .seconds(1), acceptProvisional: true)
            #expect(response == nil, "expected silence, got \(response?.startLine ?? "")")
        }
    }

    @Test("out-of-dialog OPTIONS to the SBC gets 200 on both zones")
    func optionsGets200() async throws {
        try await withLab("options") { lab in
            let b = lab.block
            try await lab.startSBC()
            for (peer, zone) in [(b.platform, b.sbcPlatform), (b.carrierA, b.sbcCarrier)] {
                let sock = try lab.socket(peer.ip, port: peer.port)
                let branch = RawSIP.branch()
                let callID = RawSIP.callID(peer)
                try sock.send(RawSIP.options(from: peer, to: zone, callID: callID, branch: branch, cseq: 7), to: zone)
                let response = await sock.awaitResponse(branch: branch, timeout: .seconds(2))
                #expect(response?.statusCode == 200, "OPTIONS \(peer) -> \(zone): \(response?.startLine ?? "no response")")
                #expect(response?.callID == callID)
                #expect(response?.first("CSeq")?.replacingOccurrences(of: " ", with: "") == "7OPTIONS")
                #expect(response?.tag("To") != nil, "a UAS response to OPTIONS carries a To tag")
                sock.close()
            }
        }
    }

    // MARK: lifecycle

    @Test("SIGTERM: the SBC exits 0 and its stderr is JSON lines")
    func sigtermExitsZero() async throws {
        try await withLab("sigterm") { lab in
            let sbc = try await lab.startSBC()
            let exit = await sbc.stop(grace: .seconds(Double(lab.options.drainSeconds) + 5))
            #expect(exit.exited && exit.status == 0, "SIGTERM -> \(exit)\n\(lab.sbcLog)")
            let bad = sbc.nonJSONLogLines()
            #expect(bad.isEmpty, "stderr lines that are not JSON objects:\n\(bad.prefix(10).joined(separator: "\n"))")
        }
    }

    @Test("SIGTERM with a call up: the SBC drains and exits 0 within drain_s")
    func sigtermDuringCallExitsZero() async throws {
        try await withLab("sigterm-call") { lab in
            let b = lab.block
            _ = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let sbc = try await lab.startSBC()
            // A long call in the background: the caller pauses 20 s before its BYE.
            let caller = try SIPpProcess(name: "caller-long", scenario: "uac_basic", local: b.platform,
                                         remote: b.sbcPlatform, directory: lab.directory, calls: 1, rate: 1,
                                         pauseMs: 20_000)
            defer { caller.process.stopNow() }
            // Wait until the call is established (the caller has sent its ACK), bounded.
            let established = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < established,
                  !SIPpLog.parse(String(decoding: FileManager.default.contents(atPath: caller.messageFile.path) ?? Data(),
                                        as: UTF8.self)).contains(where: { $0.direction == .sent && $0.message.method == "ACK" }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            let started = ContinuousClock.now
            let exit = await sbc.stop(grace: .seconds(Double(lab.options.drainSeconds) + 5))
            let took = ContinuousClock.now - started
            #expect(exit.exited && exit.status == 0, "SIGTERM with a call up -> \(exit)\n\(lab.sbcLog)")
            #expect(took < .seconds(Double(lab.options.drainSeconds) + 5), "drain took \(took)")
            await caller.process.stop()
        }
    }
}
