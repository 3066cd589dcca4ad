// Established calls survive `kill -9` of the SBC (docs/RESTART.md), end to end: the built
// `sbc` between SIPp platform callers whose media are sockets of the test (uac_test_media) and
// a SIPp carrier whose media is another socket of the test (uas_media). Four calls go up with
// RTP both ways; one call's platform then vanishes (its SIPp is killed); the SBC is killed with
// SIGKILL by its PID and started again on the same config and state file. RTP must flow again
// through the same relay ports, the platform's BYEs must reach the carrier and be answered, and
// the vanished call must be closed after `recovery.grace_s` plus the media timeout, with a BYE
// to the carrier and a CDR; every CDR carries the recovered mark.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct RestartSurvivalEndToEndTests {
    /// One call of the test: the platform's media socket, its SIPp caller and the relay's ports.
    final class LiveCall {
        let caller: SIPpProcess
        let platformRTP: UDPSocket
        let platformSSRC: UInt32
        let carrierSSRC: UInt32
        var callID = ""
        var relayA = Endpoint(ip: "0.0.0.0", port: 0)
        var relayB = Endpoint(ip: "0.0.0.0", port: 0)
        var sending = true
        var sequence: UInt16 = 0
        /// Carrier packets that reached the platform, and platform packets that reached the
        /// carrier, with the relay port each came from.
        var atPlatform: [(at: ContinuousClock.Instant, from: Endpoint)] = []
        var atCarrier: [(at: ContinuousClock.Instant, from: Endpoint)] = []

        init(caller: SIPpProcess, platformRTP: UDPSocket, index: Int) {
            self.caller = caller
            self.platformRTP = platformRTP
            platformSSRC = 0x9A70_0000 + UInt32(index)
            carrierSSRC = 0xCA77_0000 + UInt32(index)
        }

        func count(_ packets: [(at: ContinuousClock.Instant, from: Endpoint)], after: ContinuousClock.Instant,
                   from relay: Endpoint) -> Int {
            packets.filter { $0.at > after && $0.from == relay }.count
        }
    }

    /// Sends one packet each way for every call still sending, every 20 ms, and drains what
    /// arrives, for `duration` or until `done`.
    static func play(_ calls: [LiveCall], carrier: UDPSocket, for duration: Duration,
                     until done: () -> Bool = { false }) async {
        let clock = ContinuousClock()
        let end = clock.now + duration
        var next = clock.now
        while clock.now < end, !done() {
            for call in calls where call.sending {
                _ = try? call.platformRTP.send(RTPPacket.make(ssrc: call.platformSSRC, sequence: call.sequence),
                                               to: call.relayA)
                _ = try? carrier.send(RTPPacket.make(ssrc: call.carrierSSRC, sequence: call.sequence), to: call.relayB)
                call.sequence &+= 1
            }
            next += .milliseconds(20)
            repeat {
                for call in calls {
                    while let datagram = await call.platformRTP.receive(timeout: .zero) {
                        if RTPPacket.ssrc(of: datagram.bytes) == call.carrierSSRC {
                            call.atPlatform.append((.now, datagram.from))
                        }
                    }
                }
                while let datagram = await carrier.receive(timeout: .zero) {
                    let ssrc = RTPPacket.ssrc(of: datagram.bytes)
                    calls.first { $0.platformSSRC == ssrc }?.atCarrier.append((.now, datagram.from))
                }
                if clock.now < next { try? await Task.sleep(for: .milliseconds(2)) }
            } while clock.now < next
            if clock.now > next + .milliseconds(200) { next = clock.now }
        }
    }

    @Test func establishedCallsSurviveKillDashNineAndEndNormallyOnBothLegs() async throws {
        var options = LabOptions()
        options.admin = true   // sbc_restored_calls, sbc_recoverable_calls
        try await withLab("restart-survival", options: options) { lab in
            // A short grace, so the vanished call is cleaned up while the others still talk.
            let config = try String(contentsOf: lab.configURL, encoding: .utf8)
            try (config + "\nrecovery: {enabled: true, grace_s: 1}\n").write(to: lab.configURL, atomically: true,
                                                                               encoding: .utf8)
            let carrierRTP = try lab.socket(lab.block.carrierA.ip)
            let callee = try await lab.startCallee("uas_media", at: lab.block.carrierA, extraArguments: [
                "-key", "rtp_ip", carrierRTP.local.ip, "-key", "rtp_port", String(carrierRTP.local.port),
            ])
            let first = try await lab.startSBC()

            // Calls 0-2 hang up after 12 s of talk; call 3 (the one whose parties vanish) never does.
            var calls: [LiveCall] = []
            for index in 0..<4 {
                let platformRTP = try lab.socket(lab.block.platform.ip)
                let caller = try SIPpProcess(
                    name: "caller\(index)", scenario: "uac_test_media",
                    local: Endpoint(ip: lab.block.platform.ip, port: lab.block.platform.port + 10 + UInt16(index)),
                    remote: lab.block.sbcPlatform, directory: lab.directory, calls: 1, rate: 10,
                    pauseMs: index == 3 ? 50_000 : 12_000,
                    extraArguments: ["-key", "rtp_ip", platformRTP.local.ip, "-key", "rtp_port",
                                     String(platformRTP.local.port)])
                lab.adopt(caller.process)
                calls.append(LiveCall(caller: caller, platformRTP: platformRTP, index: index))
            }
            for call in calls {
                let ok = try #require(await call.caller.waitForMessage(timeout: .seconds(15)) {
                    $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
                }, "call not answered\n\(lab.sbcLog)")
                call.callID = try #require(ok.callID)
                call.relayA = try #require(sdpAudioEndpoint(ok.body))
                let invite = try #require(await callee.waitForMessage(timeout: .seconds(5)) {
                    $0.direction == .received && $0.message.method == "INVITE" && $0.message.callID == call.callID
                })
                call.relayB = try #require(sdpAudioEndpoint(invite.body))
            }

            // RTP both ways through every call, then the platform of call 3 vanishes.
            await Self.play(calls, carrier: carrierRTP, for: .milliseconds(1500))
            for call in calls {
                #expect(call.atCarrier.count >= 25 && call.atPlatform.count >= 25,
                        "media flows before the restart (\(call.atCarrier.count)/\(call.atPlatform.count))")
            }
            let vanished = calls[3]
            vanished.caller.process.send(signal: SIGKILL)
            vanished.sending = false

            // kill -9 by PID, and the same config and state file again.
            let killedPID = first.pid
            first.process.send(signal: SIGKILL)
            let exit = await first.process.waitForExit(timeout: .seconds(5))
            #expect(exit?.exited == false, "the SBC died of SIGKILL (\(String(describing: exit)))")
            let down = ContinuousClock.now
            let second = try await lab.startSBC()
            #expect(second.pid != killedPID)
            let restartedAt = ContinuousClock.now
            let gap = restartedAt - down

            // Media flows again end to end on the same relay ports.
            let live = Array(calls[0..<3])
            await Self.play(calls, carrier: carrierRTP, for: .seconds(2))
            for call in live {
                let toCarrier = call.count(call.atCarrier, after: restartedAt, from: call.relayB)
                let toPlatform = call.count(call.atPlatform, after: restartedAt, from: call.relayA)
                #expect(toCarrier >= 50, "platform RTP reaches the carrier after the restart (\(toCarrier) of 100)")
                #expect(toPlatform >= 50, "carrier RTP reaches the platform after the restart (\(toPlatform) of 100)")
            }
            #expect(vanished.count(vanished.atCarrier, after: restartedAt, from: vanished.relayB) == 0)
            let admin = AdminClient(base: URL(string: "http://\(lab.block.admin.ip):\(lab.block.admin.port)/")!,
                                    token: LabConfig.adminToken)
            let metrics = (try? await admin.text("metrics"))?.body ?? "(GET /metrics failed)"
            #expect(metrics.contains(#"sbc_restored_calls{outcome="restored"} 4"#), "\(metrics)")
            #expect(metrics.contains(#"sbc_restored_calls{outcome="dropped"} 0"#))
            #expect(metrics.contains("sbc_recoverable_calls 4"), "all four snapshots stored again")

            // The talking calls keep their media up until the platform hangs up (BYE after 12 s).
            await Self.play(calls, carrier: carrierRTP, for: .seconds(25)) {
                live.allSatisfy { !$0.caller.process.isRunning }
            }
            for call in live {
                let result = await call.caller.waitForCompletion(timeout: .seconds(10))
                #expect(result.allCallsSucceeded, "the platform's BYE is answered 200\n\(result.diagnostics)\n\(lab.sbcLog)")
                #expect(result.receivedResponses(200, to: "BYE").count == 1)
            }
            // The vanished call: grace 1 s + media timeout 4 s after the restart, BYE to the carrier.
            try await Task.sleep(for: .seconds(1))
            let calleeResult = await lab.finish(callee)
            let byes = calleeResult.receivedRequests("BYE")
            #expect(byes.count == 4, "three relayed BYEs and the vanished call's cleanup\n\(lab.sbcLog)")
            #expect(calleeResult.sentResponses(200, to: "BYE").count == 4, "the carrier answers every BYE")
            let cleanup = try #require(byes.first { $0.callID == vanished.callID }, "the vanished call got a BYE")
            #expect(cleanup.first("Reason")?.contains("Media timeout") == true, "\(cleanup)")

            // One CDR per call, each with the recovered mark and its original start time.
            let records = try await lab.callDetailRecords()
            for call in calls {
                let cdr = try #require(records.first { $0["call_id"] as? String == call.callID }, "CDR of \(call.callID)")
                #expect(cdr["recovered"] as? Bool == true, "\(cdr)")
                #expect(cdr["disposition"] as? String == (call === vanished ? "media_timeout" : "answered"))
                let started = cdr["started_at"] as? Double ?? 0
                let ended = cdr["ended_at"] as? Double ?? 0
                #expect(ended - started > 5, "the original start time, before the restart")
            }
            print("restart survival: SBC down for \(gap) (kill to ready); relay ports kept: "
                  + live.map { "\($0.relayA.port)/\($0.relayB.port)" }.joined(separator: ", "))
        }
    }

    /// `shutdown.mode: restart`: SIGTERM stops the SBC at once without a BYE to anyone, and the
    /// next process carries the call on until the platform hangs up.
    @Test func gracefulRestartModeStopsWithoutDrainAndKeepsTheCall() async throws {
        try await withLab("restart-mode") { lab in
            let config = try String(contentsOf: lab.configURL, encoding: .utf8)
                .replacingOccurrences(of: "shutdown:\n", with: "shutdown:\n  mode: restart\n")
            try config.write(to: lab.configURL, atomically: true, encoding: .utf8)
            #expect(config.contains("mode: restart"), "the lab config has a shutdown section")
            let carrierRTP = try lab.socket(lab.block.carrierA.ip)
            let callee = try await lab.startCallee("uas_media", at: lab.block.carrierA, extraArguments: [
                "-key", "rtp_ip", carrierRTP.local.ip, "-key", "rtp_port", String(carrierRTP.local.port),
            ])
            let first = try await lab.startSBC()
            let platformRTP = try lab.socket(lab.block.platform.ip)
            let caller = try SIPpProcess(
                name: "caller", scenario: "uac_test_media",
                local: Endpoint(ip: lab.block.platform.ip, port: lab.block.platform.port + 10),
                remote: lab.block.sbcPlatform, directory: lab.directory, calls: 1, rate: 10, pauseMs: 8_000,
                extraArguments: ["-key", "rtp_ip", platformRTP.local.ip, "-key", "rtp_port", String(platformRTP.local.port)])
            lab.adopt(caller.process)
            let call = LiveCall(caller: caller, platformRTP: platformRTP, index: 0)
            let ok = try #require(await caller.waitForMessage(timeout: .seconds(15)) {
                $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
            }, "call not answered\n\(lab.sbcLog)")
            call.callID = try #require(ok.callID)
            call.relayA = try #require(sdpAudioEndpoint(ok.body))
            let invite = try #require(await callee.waitForMessage(timeout: .seconds(5)) {
                $0.direction == .received && $0.message.method == "INVITE"
            })
            call.relayB = try #require(sdpAudioEndpoint(invite.body))
            await Self.play([call], carrier: carrierRTP, for: .seconds(1))

            let stopped = ContinuousClock.now
            let exit = await first.stop(grace: .seconds(5))
            #expect(exit.exited && exit.status == 0, "a clean exit")
            #expect(ContinuousClock.now - stopped < .seconds(2), "no drain")
            try await lab.startSBC()
            let restartedAt = ContinuousClock.now
            await Self.play([call], carrier: carrierRTP, for: .seconds(15)) { !caller.process.isRunning }
            #expect(call.count(call.atCarrier, after: restartedAt, from: call.relayB) >= 50)
            #expect(call.count(call.atPlatform, after: restartedAt, from: call.relayA) >= 50)
            let result = await caller.waitForCompletion(timeout: .seconds(10))
            #expect(result.allCallsSucceeded, "no BYE from the SBC, the platform's BYE answered\n\(result.diagnostics)")
            let calleeResult = await lab.finish(callee)
            #expect(calleeResult.receivedRequests("BYE").count == 1, "only the platform's BYE, relayed")
            let cdr = try #require(try await lab.callDetailRecords().first { $0["call_id"] as? String == call.callID })
            #expect(cdr["recovered"] as? Bool == true && cdr["disposition"] as? String == "answered")
        }
    }
}
