import Routing
import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// Media-path probes through the B2BUA with a manual clock (docs/HEALTH.md): the probe call to
/// the echo number through carrier A only, ACK without BYE while the driver checks the RTP, the
/// request it is given, BYE once the report came, and what each result does to the trunk.
struct MediaProbeTests {
    static let carrier = "198.51.100.11"
    static let media = "{port_min: 40000, port_max: 40099, timeout_s: 4, hold_timeout_s: 60, port_reuse_delay_s: 10}"
    static let probe = "media_probe: {number: \"+15550009999\", caller: \"+15559990000\", interval_s: 30, "
        + "answer_timeout_s: 5, timeout_ms: 1000, packets: 3, fail_after: 2}"

    static func harness(health: String = "probe: false", recoveryHold: Int = 10) throws -> B2BUAHarness {
        var h = try B2BUAHarness(media: media, carrierAKeys: "health: {\(health), recovery_hold_s: \(recoveryHold), \(probe)}")
        h.sent += h.b2bua.startHealthMonitoring(now: h.now)
        return h
    }

    /// The probe INVITE the last batch sent to carrier A.
    static func invite(_ h: B2BUAHarness) throws -> SIPMessage {
        try #require(h.sent.requests(.invite, to: carrier).last)
    }

    static let answerSDP = "v=0\no=- 2 2 IN IP4 198.51.100.11\ns=-\nc=IN IP4 198.51.100.11\nt=0 0\nm=audio 5000 RTP/AVP 8 0\n"

    /// Answers the last probe INVITE with a 200 and SDP; returns the RTP check the driver is asked for.
    static func answer(_ h: inout B2BUAHarness) throws -> MediaProbeRequest {
        let invite = try Self.invite(h)
        h.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: answerSDP), from: B2BUAHarness.carrierA)
        return try #require(h.b2bua.takeMediaProbeRequests().first)
    }

    static func results(_ events: [TrunkHealthEvent]) -> [MediaProbeResult] {
        events.compactMap { if case .mediaProbe(_, let result, _, _) = $0 { result } else { nil } }
    }

    /// Carrier A's state changes (the other trunks are OPTIONS-probed and nobody answers them).
    static func changes(_ events: [TrunkHealthEvent]) -> [TrunkStateChange] {
        events.compactMap { if case .trunk(let change) = $0, change.trunk == "carrier-a" { change } else { nil } }
    }

    @Test func passingProbeAsksForRTPThenHangsUp() throws {
        var h = try Self.harness()
        let invite = try Self.invite(h)
        #expect(invite.requestURIText == "sip:+15550009999@198.51.100.11")
        #expect(invite.from?.uri.user == "+15559990000")
        let offer = String(decoding: invite.body, as: UTF8.self)
        let mLine = try #require(offer.split(separator: "\r\n").first { $0.hasPrefix("m=audio ") })
        let offeredPort = try #require(UInt16(mLine.split(separator: " ")[1]))
        #expect((40000...40099).contains(Int(offeredPort)), "a relay port, reserved for the probe")

        let request = try Self.answer(&h)
        #expect(h.sent.requests(.ack, to: Self.carrier).count == 1)
        #expect(h.sent.requests(.bye, to: Self.carrier).isEmpty, "the call stays up during the check")
        #expect(request.trunk == "carrier-a" && request.remote == .init(host: "198.51.100.11", port: 5000))
        #expect(request.local == .init(host: "10.0.1.1", port: offeredPort))
        #expect(request.payloadType == 8 && request.packets == 3 && request.window == .seconds(1))

        // A retransmitted 200 is ACKed again, and asks for nothing more.
        h.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: Self.answerSDP), from: B2BUAHarness.carrierA)
        #expect(h.sent.requests(.ack, to: Self.carrier).count == 2 && h.b2bua.takeMediaProbeRequests().isEmpty)

        h.now += .milliseconds(80)
        let out = h.b2bua.mediaProbeObserved(request.id, MediaProbeObservation(sent: 3, received: 3, echoed: 3,
                                                                               firstReturn: .milliseconds(2)), now: h.now)
        let bye = try #require(out.requests(.bye, to: Self.carrier).first)
        #expect(bye.to?.tag == "crtag" && bye.callID == invite.callID)
        let events = h.b2bua.takeHealthEvents()
        #expect(Self.results(events) == [.passed] && Self.changes(events).isEmpty)
        #expect(h.b2bua.mediaProbeStatus(of: "carrier-a")?.result == .passed)
        #expect(h.b2bua.trunkHealth(named: "carrier-a")?.state == .up)
        #expect(h.b2bua.mediaProbeObserved(request.id, MediaProbeObservation(sent: 3, received: 0), now: h.now).isEmpty,
                "a second report is ignored")
    }

    @Test func deadMediaTakesTheTrunkDownAndOnlyAPassingProbeBringsItBack() throws {
        var h = try Self.harness()
        for _ in 0..<2 {
            let request = try Self.answer(&h)
            h.now += .seconds(1)
            h.sent += h.b2bua.mediaProbeObserved(request.id, MediaProbeObservation(sent: 3, received: 0), now: h.now)
            h.advance(by: .seconds(29))  // the next probe
        }
        let events = h.b2bua.takeHealthEvents()
        #expect(Self.results(events) == [.noMedia, .noMedia])
        let down = try #require(Self.changes(events).first)
        #expect(down.trunk == "carrier-a" && down.to == .down && down.cause == "media_path_failed")
        #expect(down.detail.contains("answered, but 0 of 3 RTP packets came back within 1000 ms"))
        let health = try #require(h.b2bua.trunkHealth(named: "carrier-a"))
        #expect(health.mediaPathFailed && !health.isSelectable)

        // The third probe (already placed) passes: recovering, then up after the hold.
        let request = try Self.answer(&h)
        h.sent += h.b2bua.mediaProbeObserved(request.id, MediaProbeObservation(sent: 3, received: 3, echoed: 3), now: h.now)
        #expect(Self.changes(h.b2bua.takeHealthEvents()).map(\.to) == [.recovering])
        h.advance(by: .seconds(10))
        #expect(h.b2bua.trunkHealth(named: "carrier-a")?.state == .up)
    }

    @Test func unansweredProbeIsACallFailure() throws {
        var h = try Self.harness()
        let invite = try Self.invite(h)
        h.receive(B2BUAHarness.response(503, "Service Unavailable", to: invite), from: B2BUAHarness.carrierA)
        #expect(h.b2bua.takeMediaProbeRequests().isEmpty)
        let events = h.b2bua.takeHealthEvents()
        #expect(Self.results(events) == [.callFailed])
        #expect(h.b2bua.mediaProbeStatus(of: "carrier-a")?.detail == "probe call to +15550009999 refused: 503 Service Unavailable")
        #expect(h.b2bua.trunkHealth(named: "carrier-a")?.consecutiveMediaFailures == 1)
    }

    @Test func answerWithoutAudioFailsAtOnce() throws {
        var h = try Self.harness()
        let invite = try Self.invite(h)
        h.sent.removeAll()
        h.receive(B2BUAHarness.response(200, "OK", to: invite), from: B2BUAHarness.carrierA)
        #expect(h.b2bua.takeMediaProbeRequests().isEmpty)
        #expect(h.sent.requests(.ack, to: Self.carrier).count == 1 && h.sent.requests(.bye, to: Self.carrier).count == 1)
        #expect(Self.results(h.b2bua.takeHealthEvents()) == [.noMedia])
        #expect(h.b2bua.mediaProbeStatus(of: "carrier-a")?.detail == "answered, but the answer carried no SDP")
    }

    @Test func missingReportHangsUpAfterTheWindowAndIsSkipped() throws {
        var h = try Self.harness()
        _ = try Self.answer(&h)
        h.sent.removeAll()
        h.advance(by: .milliseconds(1999))
        #expect(h.sent.requests(.bye, to: Self.carrier).isEmpty)
        h.advance(by: .milliseconds(1))
        #expect(h.sent.requests(.bye, to: Self.carrier).count == 1, "window (1 s) + report grace (1 s)")
        #expect(Self.results(h.b2bua.takeHealthEvents()) == [.skipped])
        #expect(h.b2bua.trunkHealth(named: "carrier-a")?.consecutiveMediaFailures == 0)
    }

    @Test func failuresWhileTheSBCIsOverloadedAreSkipped() throws {
        var h = try Self.harness()
        let request = try Self.answer(&h)
        h.b2bua.ownLoadChanged(overloaded: true, now: h.now)
        h.now += .seconds(1)
        h.sent += h.b2bua.mediaProbeObserved(request.id, MediaProbeObservation(sent: 3, received: 0), now: h.now)
        #expect(Self.results(h.b2bua.takeHealthEvents()) == [.skipped])
        #expect(h.b2bua.mediaProbeStatus(of: "carrier-a")?.detail.hasPrefix("the SBC was overloaded") == true)
    }

    @Test func noProbeWhileDraining() throws {
        var h = try Self.harness()
        let calls = { Set(h.sent.requests(.invite, to: Self.carrier).compactMap(\.callID)) }
        #expect(calls().count == 1)
        h.sent += h.b2bua.beginDrain(now: h.now)
        h.advance(by: .seconds(30))
        #expect(calls().count == 1, "no new probe while the SBC drains")
    }

    /// The harness's zones and platform, carrier A with `health`, media anchoring on.
    static func configuration(health: String) throws -> SBCConfiguration {
        try ConfigLoader.parse(yaml: """
            zones:
              - {name: platform, bind: 10.0.0.1, udp_port: 5060}
              - {name: carrier, bind: 10.0.1.1, udp_port: 5080}
            trunks:
              - {name: platform, zone: platform, address: 192.0.2.10, port: 5060, health: {probe: false}}
              - {name: carrier-a, zone: carrier, address: 198.51.100.11, port: 5060, health: \(health)}
            routes:
              - {name: out, from_trunk: platform, trunk: carrier-a}
              - {name: in, from_zone: carrier, trunk: platform}
            media: \(media)
            """, source: "reload.yaml")
    }

    @Test func reloadAddingAProbeStartsItAndRemovingItStopsIt() throws {
        var h = try B2BUAHarness(media: Self.media, carrierAKeys: "health: {probe: false}")
        h.sent += h.b2bua.startHealthMonitoring(now: h.now)
        #expect(h.sent.requests(.invite, to: Self.carrier).isEmpty)
        func reload(_ health: String) throws {
            let config = try Self.configuration(health: health)
            _ = h.b2bua.reconfigure(settings: B2BUASettings(configuration: config, productName: "SwiftSBC/test"),
                                    routing: RoutingTable(configuration: config), credentials: [:], now: h.now)
            h.advance(by: .zero)
        }
        try reload("{probe: false, \(Self.probe)}")
        let calls = { Set(h.sent.requests(.invite, to: Self.carrier).compactMap(\.callID)) }
        #expect(calls().count == 1, "a probe added by a reload runs at once")
        h.receive(B2BUAHarness.response(503, "Service Unavailable", to: try Self.invite(h)), from: B2BUAHarness.carrierA)
        try reload("{probe: false}")
        h.advance(by: .seconds(120))
        #expect(calls().count == 1, "a removed probe's timer lapses")
        #expect(h.b2bua.trunkHealth(named: "carrier-a")?.consecutiveMediaFailures == 0, "its counters went with it")
    }
}
