import Foundation
import Logging
import Media
import Routing
import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// Drives a `B2BUA` with SIP text and a manual clock, and keeps what it sends.
struct B2BUAHarness {
    static let yaml = """
        zones:
          - {name: platform, bind: 10.0.0.1, udp_port: 5060, tls_port: 5061, tls: {certificate: /c.pem, key: /k.pem}}
          - {name: carrier, bind: 10.0.1.1, udp_port: 5080, tcp_port: 5080, tls_port: 5081, tls: {certificate: /c.pem, key: /k.pem}}
        trunks:
          - {name: platform, zone: platform, address: 192.0.2.10, port: 5060PLATFORM_SRTP}
          - {name: carrier-a, zone: carrier, address: 198.51.100.11, CARRIER_A_TRANSPORT, call_id: CALLID, MAXCALLS CODECS_A}
          - {name: carrier-b, zone: carrier, address: 198.51.100.12, port: 5060 CODECS_B}EXTRA_TRUNKS
        trunk_groups:
          - {name: pstn-out, members: [carrier-a, carrier-b], failover_on: [503, 408, timeout, transport],
             retry_after_min_s: 1, retry_after_max_s: 600MIDCALL}
        routes:
          - {name: out, from_trunk: platform, trunk_group: pstn-out, critical: CRITICAL}
          - {name: in, from_zone: carrier, trunk: platform}
        shutdown: {drain_s: 10}
        media: MEDIA
        """

    static let platform = SIPEndpoint(host: "192.0.2.10", port: 5060, transport: .udp, zone: "platform")
    static let carrierA = SIPEndpoint(host: "198.51.100.11", port: 5060, transport: .udp, zone: "carrier")
    static let carrierB = SIPEndpoint(host: "198.51.100.12", port: 5060, transport: .udp, zone: "carrier")

    /// The configuration the harness's B2BUA was built from.
    let configuration: SBCConfiguration
    var b2bua: B2BUA
    var now: Duration = .seconds(1000)
    var sent: [SIPOutbound] = []

    /// `media` turns media anchoring on (SDP rewritten, relay instructions produced); the
    /// signalling tests keep it off so they see SDP as the peers sent it. `codecsA`/`codecsB`
    /// are the carriers' codec policies.
    /// `critical` marks the platform's route critical (mid-call failover on), `midCallFailover`
    /// is the group's `mid_call_failover` mapping. `carrierATransport` `tls` reaches carrier A at
    /// port 5061 over TLS (both zones have TLS listeners on 5061/5081). `platformKeys` and
    /// `carrierAKeys` are more keys of those trunks, as flow YAML (`"refer: terminate"`).
    /// `serverHeader` sets `security.server_header` (by default the harness names itself
    /// `SwiftSBC/test`). `groupKeys` are more keys of `pstn-out` (`"overflow: announcements"`),
    /// `extraTrunks` more trunk entries as flow YAML, one per line. `unknownSource` sets
    /// `security.unknown_source`. `carrierBKeys` are more keys of carrier B; `seed` seeds the
    /// identifiers so generated tags and branches repeat.
    init(callIDPolicy: String = "preserve", carrierAMaxCalls: Int = 0, media: String = "{enabled: false}",
         codecsA: [String] = [], codecsB: [String] = [], critical: Bool = false, midCallFailover: String? = nil,
         platformSRTP: String? = nil, carrierATransport: String = "udp", platformKeys: String = "",
         carrierAKeys: String = "", serverHeader: String? = nil, groupKeys: String = "",
         extraTrunks: [String] = [], unknownSource: String? = nil, carrierBKeys: String = "",
         seed: UInt64 = 1) throws {
        func codecs(_ list: [String]) -> String { list.isEmpty ? "" : ", codecs: [\(list.joined(separator: ", "))]" }
        let yaml = Self.yaml
            .replacingOccurrences(of: "PLATFORM_SRTP}", with: "PLATFORM_SRTP\(platformKeys.isEmpty ? "" : ", \(platformKeys)")}")
            .replacingOccurrences(of: "CODECS_A}", with: "CODECS_A\(carrierAKeys.isEmpty ? "" : ", \(carrierAKeys)")}")
            .replacingOccurrences(of: "CODECS_B}", with: "CODECS_B\(carrierBKeys.isEmpty ? "" : ", \(carrierBKeys)")}")
            .replacingOccurrences(of: "CALLID", with: callIDPolicy)
            .replacingOccurrences(of: "MAXCALLS", with: "max_calls: \(carrierAMaxCalls)")
            .replacingOccurrences(of: " CODECS_A", with: codecs(codecsA))
            .replacingOccurrences(of: " CODECS_B", with: codecs(codecsB))
            .replacingOccurrences(of: "MEDIA", with: media)
            .replacingOccurrences(of: "CRITICAL", with: "\(critical)")
            .replacingOccurrences(of: "PLATFORM_SRTP", with: platformSRTP.map { ", srtp: \($0)" } ?? "")
            .replacingOccurrences(of: "CARRIER_A_TRANSPORT",
                                  with: "port: \(carrierATransport == "tls" ? 5061 : 5060), transport: \(carrierATransport)")
            .replacingOccurrences(of: "MIDCALL", with: (midCallFailover.map { ", mid_call_failover: \($0)" } ?? "")
                + (groupKeys.isEmpty ? "" : ", \(groupKeys)"))
            .replacingOccurrences(of: "EXTRA_TRUNKS", with: extraTrunks.map { "\n  - \($0)" }.joined())
        let securityKeys = [serverHeader.map { "server_header: \"\($0)\"" }, unknownSource.map { "unknown_source: \($0)" }]
            .compactMap { $0 }
        let security = securityKeys.isEmpty ? "" : "\nsecurity: {\(securityKeys.joined(separator: ", "))}"
        let config = try ConfigLoader.parse(yaml: yaml + security, source: "test.yaml")
        configuration = config
        b2bua = B2BUA(settings: B2BUASettings(configuration: config,
                                              productName: serverHeader == nil ? "SwiftSBC/test" : nil),
                      routing: RoutingTable(configuration: config), logger: Logger(label: "test"),
                      ids: IdentifierGenerator(seed: seed))
    }

    /// Feeds one message and returns what the B2BUA sent in reaction.
    @discardableResult
    mutating func receive(_ text: String, from source: SIPEndpoint = platform) -> [SIPOutbound] {
        let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let out = b2bua.receive(bytes, from: source, now: now)
        sent += out
        return out
    }

    /// Feeds one media relay event.
    @discardableResult
    mutating func media(_ event: MediaEvent) -> [SIPOutbound] {
        let out = b2bua.mediaEvent(event, now: now)
        sent += out
        return out
    }

    @discardableResult
    mutating func advance(by duration: Duration) -> [SIPOutbound] {
        now += duration
        let out = b2bua.advance(to: now)
        sent += out
        return out
    }

    // MARK: Message templates (the platform is 192.0.2.10, carrier A 198.51.100.11)

    static func invite(callID: String = "call-1@192.0.2.10", branch: String = "z9hG4bKpl1", cseq: Int = 1,
                       sdp: Bool = true, sdpBody: String? = nil, extra: String = "") -> String
    {
        let body = sdpBody ?? (sdp ? "v=0\no=- 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n" : "")
        return """
            INVITE sip:+15551230000@10.0.0.1 SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)
            Max-Forwards: 70
            From: "Agent" <sip:+15550001111@192.0.2.10>;tag=pltag
            To: <sip:+15551230000@10.0.0.1>
            Call-ID: \(callID)
            CSeq: \(cseq) INVITE
            Contact: <sip:agent@192.0.2.10:5060>
            Record-Route: <sip:proxy.platform.example;lr>
            X-Skill: billing
            \(extra)Content-Type: application/sdp
            Content-Length: \(body.utf8.count + body.filter { $0 == "\n" }.count)

            \(body)
            """
    }

    /// A response from the carrier to `request` (as the B2BUA sent it).
    static func response(_ status: Int, _ reason: String, to request: SIPMessage, toTag: String? = "crtag",
                         sdp: Bool = false, sdpBody: String? = nil, contact: Bool = true) -> String
    {
        let sdp = sdp || sdpBody != nil
        var to = request.firstValue(.to)!
        if let toTag, request.to?.tag == nil { to += ";tag=\(toTag)" }
        let body = sdpBody ?? (sdp ? "v=0\no=- 2 2 IN IP4 198.51.100.11\ns=-\nc=IN IP4 198.51.100.11\nt=0 0\nm=audio 5000 RTP/AVP 0\n" : "")
        let vias = request.values(.via).map { "Via: \($0)" }.joined(separator: "\n")
        return """
            SIP/2.0 \(status) \(reason)
            \(vias)
            From: \(request.firstValue(.from)!)
            To: \(to)
            Call-ID: \(request.callID!)
            CSeq: \(request.firstValue(.cseq)!)
            \(contact ? "Contact: <sip:gw@198.51.100.11:5060>\n" : "")\(sdp ? "Content-Type: application/sdp\n" : "")Content-Length: \(body.utf8.count + body.filter { $0 == "\n" }.count)

            \(body)
            """
    }

    /// A BYE from carrier A in the dialog of `invite` (the B-leg INVITE the SBC sent; the carrier's
    /// To-tag `crtag`).
    static func carrierBye(for invite: SIPMessage, cseq: Int = 7) -> String {
        """
        BYE sip:sbc@10.0.1.1:5080 SIP/2.0
        Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKcbye
        Max-Forwards: 70
        From: \(invite.firstValue(.to)!);tag=crtag
        To: \(invite.firstValue(.from)!)
        Call-ID: \(invite.callID!)
        CSeq: \(cseq) BYE
        Content-Length: 0


        """
    }

    /// The platform's 200 OK to `request` (a BYE the SBC sent it), without a body.
    static func platformOK(to request: SIPMessage) -> String {
        """
        SIP/2.0 200 OK
        Via: \(request.firstValue(.via)!)
        From: \(request.firstValue(.from)!)
        To: \(request.firstValue(.to)!)
        Call-ID: \(request.callID!)
        CSeq: \(request.firstValue(.cseq)!)
        Content-Length: 0


        """
    }

    /// An in-dialog request from the platform on the A-leg, addressed with the tags it learnt.
    static func platformRequest(_ method: String, toTag: String, cseq: Int, branch: String,
                                callID: String = "call-1@192.0.2.10", sdp: Bool = false, sdpBody: String? = nil) -> String
    {
        let sdp = sdp || sdpBody != nil
        let body = sdpBody ?? (sdp ? "v=0\no=- 1 2 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n" : "")
        return """
            \(method) sip:sbc@10.0.0.1:5060 SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)
            Max-Forwards: 70
            From: "Agent" <sip:+15550001111@192.0.2.10>;tag=pltag
            To: <sip:+15551230000@10.0.0.1>;tag=\(toTag)
            Call-ID: \(callID)
            CSeq: \(cseq) \(method)
            \(sdp ? "Content-Type: application/sdp\n" : "")Content-Length: \(body.utf8.count + body.filter { $0 == "\n" }.count)

            \(body)
            """
    }
}

extension Array where Element == SIPOutbound {
    func messages(to endpointHost: String) -> [SIPMessage] {
        filter { $0.destination.host == endpointHost }.map(\.message)
    }

    func requests(_ method: SIPMethod, to host: String) -> [SIPMessage] {
        messages(to: host).filter { $0.method == method }
    }

    func responses(_ status: Int, to host: String) -> [SIPMessage] {
        messages(to: host).filter { $0.statusCode == status }
    }
}
