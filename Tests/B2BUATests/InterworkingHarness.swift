import Logging
import Routing
import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// A `B2BUAHarness` whose trunks and group take extra keys (100rel, early media, session
/// timers), with probes off so that advancing the clock by minutes sends nothing but what the
/// calls do, and the carrier-side messages those tests need (RSeq, Session-Expires, forks).
extension B2BUAHarness {
    static let interworkingYAML = """
        zones:
          - {name: platform, bind: 10.0.0.1, udp_port: 5060}
          - {name: carrier, bind: 10.0.1.1, udp_port: 5080}
        trunks:
          - {name: platform, zone: platform, address: 192.0.2.10, port: 5060, health: {probe: false}PLATFORM}
          - {name: carrier-a, zone: carrier, address: 198.51.100.11, port: 5060, health: {probe: false}CARRIER_A}
          - {name: carrier-b, zone: carrier, address: 198.51.100.12, port: 5060, health: {probe: false}CARRIER_B}
        trunk_groups:
          - {name: pstn-out, members: [carrier-a, carrier-b], failover_on: [503, 408, timeout, transport],
             retry_after_min_s: 1, retry_after_max_s: 600GROUP}
        routes:
          - {name: out, from_trunk: platform, trunk_group: pstn-out, critical: CRITICAL}
          - {name: in, from_zone: carrier, trunk: platform}
        shutdown: {drain_s: 10}
        media: MEDIA
        """

    /// Each argument is appended to that trunk's (or the group's) flow mapping, e.g.
    /// `"100rel: required"` or `"session_timer: {enabled: true}"`.
    init(platform: String = "", carrierA: String = "", carrierB: String = "", group: String = "",
         critical: Bool = false, media: String = "{enabled: false}") throws {
        func extra(_ keys: String) -> String { keys.isEmpty ? "" : ", \(keys)" }
        let yaml = Self.interworkingYAML.replacingOccurrences(of: "PLATFORM", with: extra(platform))
            .replacingOccurrences(of: "CARRIER_A", with: extra(carrierA))
            .replacingOccurrences(of: "CARRIER_B", with: extra(carrierB))
            .replacingOccurrences(of: "GROUP", with: extra(group))
            .replacingOccurrences(of: "CRITICAL", with: "\(critical)")
            .replacingOccurrences(of: "MEDIA", with: media)
        let config = try ConfigLoader.parse(yaml: yaml, source: "interworking.yaml")
        configuration = config
        b2bua = B2BUA(settings: B2BUASettings(configuration: config, productName: "SwiftSBC/test"),
                      routing: RoutingTable(configuration: config), logger: Logger(label: "test"),
                      ids: IdentifierGenerator(seed: 1))
    }

    /// A response of a carrier endpoint to `request` (as the B2BUA sent it): `toTag` names the
    /// early dialog (a fork), `contact` its remote target, `extra` more header lines.
    static func carrierResponse(_ status: Int, _ reason: String, to request: SIPMessage, toTag: String = "crtag",
                                contact: String = "<sip:gw@198.51.100.11:5060>", extra: [String] = [],
                                sdpBody: String? = nil) -> String
    {
        var to = request.firstValue(.to)!
        if request.to?.tag == nil { to += ";tag=\(toTag)" }
        return compose("SIP/2.0 \(status) \(reason)", request.values(.via).map { "Via: \($0)" } + [
            "From: \(request.firstValue(.from)!)", "To: \(to)", "Call-ID: \(request.callID!)",
            "CSeq: \(request.firstValue(.cseq)!)", "Contact: \(contact)",
        ] + extra, sdpBody: sdpBody)
    }

    /// An in-dialog request from a carrier endpoint on the dialog of `invite` (the INVITE the
    /// B2BUA sent it), from the early or confirmed dialog `toTag` names.
    static func carrierRequest(_ method: String, invite: SIPMessage, fromTag: String = "crtag", cseq: Int,
                               branch: String, extra: [String] = [], sdpBody: String? = nil) -> String
    {
        compose("\(method) sip:sbc@10.0.1.1:5080 SIP/2.0", [
            "Via: SIP/2.0/UDP 198.51.100.11:5060;branch=\(branch)", "Max-Forwards: 70",
            "From: \(invite.firstValue(.to)!);tag=\(fromTag)", "To: \(invite.firstValue(.from)!)",
            "Call-ID: \(invite.callID!)", "CSeq: \(cseq) \(method)", "Contact: <sip:gw@198.51.100.11:5060>",
        ] + extra, sdpBody: sdpBody)
    }

    /// An in-dialog request from the platform with extra header lines (PRACK's RAck, Session-Expires).
    static func platformRequest(_ method: String, toTag: String, cseq: Int, branch: String, extra: [String],
                                sdpBody: String? = nil) -> String
    {
        compose("\(method) sip:sbc@10.0.0.1:5060 SIP/2.0", [
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)", "Max-Forwards: 70",
            "From: \"Agent\" <sip:+15550001111@192.0.2.10>;tag=pltag", "To: <sip:+15551230000@10.0.0.1>;tag=\(toTag)",
            "Call-ID: call-1@192.0.2.10", "CSeq: \(cseq) \(method)",
        ] + extra, sdpBody: sdpBody)
    }

    /// The response the platform sends to a request the B2BUA sent it.
    static func platformResponse(_ status: Int, to request: SIPMessage, extra: [String] = [],
                                 sdpBody: String? = nil) -> String
    {
        compose("SIP/2.0 \(status) \(status == 200 ? "OK" : "Error")", request.values(.via).map { "Via: \($0)" } + [
            "From: \(request.firstValue(.from)!)", "To: \(request.firstValue(.to)!)", "Call-ID: \(request.callID!)",
            "CSeq: \(request.firstValue(.cseq)!)", "Contact: <sip:agent@192.0.2.10:5060>",
        ] + extra, sdpBody: sdpBody)
    }

    /// A message from its start line, header lines and SDP body (`\n` line ends, as `receive` wants).
    private static func compose(_ startLine: String, _ lines: [String], sdpBody: String?) -> String {
        let body = sdpBody ?? ""
        let tail = (sdpBody == nil ? [] : ["Content-Type: application/sdp"])
            + ["Content-Length: \(body.utf8.count + body.filter { $0 == "\n" }.count)"]
        return ([startLine] + lines + tail).joined(separator: "\n") + "\n\n" + body
    }

    /// SDP of a carrier endpoint receiving on `port`.
    static func carrierSDP(port: Int, version: Int = 1, host: String = "198.51.100.11") -> String {
        "v=0\no=gw 77 \(version) IN IP4 \(host)\ns=-\nc=IN IP4 \(host)\nt=0 0\nm=audio \(port) RTP/AVP 0\n"
    }
}
