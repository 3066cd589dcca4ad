import Testing
@testable import SIPCore

/// The overload screen's look at raw bytes: new INVITEs from everything else, without parsing.
@Suite struct SIPRequestPeekTests {
    static func message(_ firstLine: String, to: String, extra: String = "") -> [UInt8] {
        Array("""
            \(firstLine)\r
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r
            From: <sip:a@192.0.2.10>;tag=f1\r
            \(to)\r
            Call-ID: c1\r
            CSeq: 1 INVITE\r
            \(extra)Content-Length: 0\r
            \r

            """.utf8)
    }

    @Test("out-of-dialog INVITEs are new calls; in-dialog INVITEs, other methods and responses are not",
          arguments: [
              ("INVITE sip:+1555@sbc SIP/2.0", "To: <sip:+1555@sbc>", true),
              ("INVITE sip:+1555@sbc SIP/2.0", "t: sip:+1555@sbc", true),
              ("INVITE sip:+1555@sbc SIP/2.0", "To: \"x;tag=y\" <sip:+1555@sbc;tag=z>", true),
              ("INVITE sip:+1555@sbc SIP/2.0", "To: <sip:+1555@sbc>;tag=abc", false),
              ("INVITE sip:+1555@sbc SIP/2.0", "to : <sip:+1555@sbc> ; TAG = abc", false),
              ("INVITE sip:+1555@sbc SIP/2.0", "t: sip:+1555@sbc;tag=abc", false),
              ("BYE sip:+1555@sbc SIP/2.0", "To: <sip:+1555@sbc>", false),
              ("ACK sip:+1555@sbc SIP/2.0", "To: <sip:+1555@sbc>", false),
              ("SIP/2.0 200 OK", "To: <sip:+1555@sbc>", false),
              ("INVITEX sip:+1555@sbc SIP/2.0", "To: <sip:+1555@sbc>", false),
          ])
    func newCalls(firstLine: String, to: String, expected: Bool) {
        #expect(SIPRequestPeek.isNewCall(Self.message(firstLine, to: to)) == expected)
    }

    @Test("a Timestamp or Tag-like header before To does not confuse it; no To at all is a new call")
    func otherHeaders() {
        let bytes = Self.message("INVITE sip:x@sbc SIP/2.0", to: "X-T: 1", extra: "Tag-Thing: ;tag=1\r\n")
        #expect(SIPRequestPeek.isNewCall(bytes))
        #expect(!SIPRequestPeek.isNewCall(Array("INVITE".utf8)))
    }

    @Test("the ACK of a stateless refusal is told by its To-tag prefix")
    func refusalAck() {
        let prefix = Array("ovl".utf8)
        #expect(SIPRequestPeek.isAck(Self.message("ACK sip:x@sbc SIP/2.0", to: "To: <sip:x@sbc>;tag=ovl123"), toTagPrefix: prefix))
        #expect(!SIPRequestPeek.isAck(Self.message("ACK sip:x@sbc SIP/2.0", to: "To: <sip:x@sbc>;tag=abc"), toTagPrefix: prefix))
        #expect(!SIPRequestPeek.isAck(Self.message("ACK sip:x@sbc SIP/2.0", to: "To: <sip:x@sbc>"), toTagPrefix: prefix))
        #expect(!SIPRequestPeek.isAck(Self.message("BYE sip:x@sbc SIP/2.0", to: "To: <sip:x@sbc>;tag=ovl1"), toTagPrefix: prefix))
    }
}
