import SIPCore
import Testing
@testable import B2BUA

/// SIP over TLS as the B2BUA sees it: Via, Contact and Request-URI name TLS, responses go back over
/// the connection a request came in on, requests to a caller whose connection closed go to its
/// Contact's port, and a TLS failure fails a carrier's probe with the certificate problem.
@Suite("TLS signalling")
struct TLSSignallingTests {
    /// The platform's TLS connection: an ephemeral source port, connection 7.
    static let platformTLS = SIPEndpoint(host: "192.0.2.10", port: 50123, transport: .tls, zone: "platform",
                                         connection: ConnectionID(rawValue: 7))

    static func tlsInvite(contact: String = "<sip:agent@192.0.2.10:5061;transport=tls>") -> String {
        B2BUAHarness.invite()
            .replacingOccurrences(of: "Via: SIP/2.0/UDP 192.0.2.10:5060", with: "Via: SIP/2.0/TLS 192.0.2.10:50123")
            .replacingOccurrences(of: "Contact: <sip:agent@192.0.2.10:5060>", with: "Contact: \(contact)")
    }

    @Test("responses to a TLS caller go over its connection; the carrier leg keeps its own transport")
    func responsesOverTheConnection() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(Self.tlsInvite(), from: Self.platformTLS)
        let trying = try #require(out.first { $0.message.statusCode == 100 })
        #expect(trying.destination == Self.platformTLS)
        let invite = try #require(out.first { $0.message.method == .invite })
        #expect(invite.destination.transport == .udp)
        #expect(invite.destination.connection == nil)
        #expect(invite.message.topVia?.transport == "UDP")

        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite.message, sdp: true),
                                     from: B2BUAHarness.carrierA)
        let ok = try #require(answer.first { $0.message.statusCode == 200 })
        #expect(ok.destination.connection == ConnectionID(rawValue: 7))
        #expect(ok.message.firstValue(.contact) == "<sip:sbc@10.0.0.1:5061;transport=tls>")
    }

    @Test("a carrier over TLS gets ;transport=tls in its Request-URI, a TLS Via and Contact, port 5061")
    func carrierOverTLS() throws {
        var harness = try B2BUAHarness(carrierATransport: "tls")
        let out = harness.receive(B2BUAHarness.invite())
        let invite = try #require(out.first { $0.message.method == .invite })
        #expect(invite.destination == SIPEndpoint(host: "198.51.100.11", port: 5061, transport: .tls, zone: "carrier"))
        #expect("\(invite.message.requestURI!)" == "sip:+15551230000@198.51.100.11;transport=tls")
        #expect(invite.message.topVia?.transport == "TLS")
        #expect(invite.message.topVia?.sentBy == "10.0.1.1:5081")
        #expect(invite.message.firstValue(.contact) == "<sip:sbc@10.0.1.1:5081;transport=tls>")
    }

    @Test("a BYE to a TLS caller goes over its connection, falling back to its Contact's port")
    func requestsToTheCaller() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(Self.tlsInvite(), from: Self.platformTLS)
        let invite = try #require(out.first { $0.message.method == .invite })
        harness.receive(B2BUAHarness.response(200, "OK", to: invite.message, sdp: true), from: B2BUAHarness.carrierA)
        let ack = B2BUAHarness.platformRequest("ACK", toTag: try #require(harness.sent.last?.message.to?.tag), cseq: 1,
                                               branch: "z9hG4bKack")
            .replacingOccurrences(of: "Via: SIP/2.0/UDP 192.0.2.10:5060", with: "Via: SIP/2.0/TLS 192.0.2.10:50123")
        harness.receive(ack, from: Self.platformTLS)
        let carrierBye = """
            BYE sip:sbc@10.0.1.1:5080 SIP/2.0
            Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKcbye
            Max-Forwards: 70
            From: \(invite.message.firstValue(.to)!);tag=crtag
            To: \(invite.message.firstValue(.from)!)
            Call-ID: \(invite.message.callID!)
            CSeq: 10 BYE
            Content-Length: 0


            """
        let relayed = harness.receive(carrierBye, from: B2BUAHarness.carrierA)
        let bye = try #require(relayed.first { $0.message.method == .bye })
        #expect(bye.destination == SIPEndpoint(host: "192.0.2.10", port: 5061, transport: .tls, zone: "platform",
                                               connection: ConnectionID(rawValue: 7)))
        #expect("\(bye.message.requestURI!)" == "sip:agent@192.0.2.10:5061;transport=tls")
        #expect(bye.message.topVia?.transport == "TLS")
    }

    @Test("a caller in a SIPS dialog gets a sips: Contact")
    func sipsContact() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(Self.tlsInvite(contact: "<sips:agent@192.0.2.10:5061>"), from: Self.platformTLS)
        let invite = try #require(out.first { $0.message.method == .invite })
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite.message, sdp: true),
                                     from: B2BUAHarness.carrierA)
        let ok = try #require(answer.first { $0.message.statusCode == 200 })
        #expect(ok.message.firstValue(.contact) == "<sips:sbc@10.0.0.1:5061>")
    }

    @Test("callerPeer keeps UDP callers and callers behind another host as they are")
    func callerPeer() {
        let udp = B2BUAHarness.platform
        #expect(B2BUA.callerPeer(udp, target: SIPURI(host: "192.0.2.10", port: 5070)) == udp)
        #expect(B2BUA.callerPeer(Self.platformTLS, target: SIPURI(host: "203.0.113.9", port: 5061)) == Self.platformTLS)
        #expect(B2BUA.callerPeer(Self.platformTLS, target: SIPURI(scheme: "sips", host: "192.0.2.10")).port == 5061)
    }

    @Test("a TLS failure fails the carrier's probe at once, with the certificate problem as the detail")
    func probeFailureNamesTheCause() throws {
        var harness = try B2BUAHarness(carrierATransport: "tls")
        harness.sent += harness.b2bua.startHealthMonitoring(now: harness.now)
        let probe = try #require(harness.sent.first { $0.message.method == .options && $0.destination.host == "198.51.100.11" })
        #expect(probe.destination.transport == .tls)
        #expect("\(probe.message.requestURI!)" == "sip:198.51.100.11:5061;transport=tls")
        harness.sent += harness.b2bua.transportFailed(
            to: probe.destination, reason: "TLS certificate expired: CN=carrier-a.lab, not after 2026-01-01T00:00:00Z",
            now: harness.now + .milliseconds(5))
        let health = try #require(harness.b2bua.trunkHealth(named: "carrier-a"))
        #expect(health.probesFailed == 1)
        #expect(health.detail.contains("OPTIONS transport error: TLS certificate expired: CN=carrier-a.lab"))
    }
}
