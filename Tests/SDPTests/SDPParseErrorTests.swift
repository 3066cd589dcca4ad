import SDP
import Testing

@Suite struct SDPParseErrorTests {
    private static let head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n"

    @Test(arguments: [
        ("", 1, "empty body, expected v=0"),
        ("\r\n\r\n", 1, "empty body, expected v=0"),
        ("o=- 1 1 IN IP4 192.0.2.1\n", 1, "SDP must start with v=0, found 'o=- 1 1 IN IP4 192.0.2.1'"),
        ("v=1\no=- 1 1 IN IP4 192.0.2.1\n", 1, "unsupported SDP version '1', expected v=0"),
        ("v=0\ns=-\nt=0 0\n", 2, "missing o= line (required after v=0)"),
        ("v=0\n", 2, "missing o= line (required after v=0)"),
        ("v=0\no=- 1 IN IP4 192.0.2.1\n", 2, "o= line has 5 fields, expected 6 (username sess-id sess-version nettype addrtype address)"),
        ("v=0\no=- 1 v2 IN IP4 192.0.2.1\n", 2, "o= session version 'v2' is not a number"),
        ("v=0\no=- 1 99999999999999999999 IN IP4 192.0.2.1\n", 2, "o= session version '99999999999999999999' is too large"),
        (head + "o=- 2 2 IN IP4 192.0.2.1\n", 4, "second o= line"),
        (head + "v=0\n", 4, "second v= line"),
        (head + "c=IN IP4\n", 4, "c= line has 2 fields, expected 3 (nettype addrtype address)"),
        (head + "c=IN IP4 /127\n", 4, "c= address '/127' is empty before '/'"),
        (head + "c=IN IP4 192.0.2.1\nc=IN IP4 192.0.2.2\n", 5, "second c= line at session level"),
        (head + "m=audio abc RTP/AVP 0\n", 4, "m= port 'abc' is not a number"),
        (head + "m=audio 70000 RTP/AVP 0\n", 4, "m= port 70000 is greater than 65535"),
        (head + "m=audio -1 RTP/AVP 0\n", 4, "m= port '-1' is not a number"),
        (head + "m=audio 4000/x RTP/AVP 0\n", 4, "m= port count 'x' is not a number"),
        (head + "m=audio 4000/0 RTP/AVP 0\n", 4, "m= port count must be at least 1"),
        (head + "m=audio 4000\n", 4, "m= line has 2 fields, expected at least 3 (media port proto fmt ...)"),
        (head + "m=audio 4000 RTP/AVP 0\nc=IN IP4 192.0.2.1\nc=IN IP4 192.0.2.2\n", 6, "second c= line in a media section"),
        (head + "m=audio 4000 RTP/AVP 0\no=- 1 1 IN IP4 192.0.2.1\n", 5, "o= line inside a media section"),
        (head + "\nt=0 0\n", 4, "empty line"),
        (head + "t 0 0\n", 4, "'t 0 0' is not a type=value line"),
        (head + "=foo\n", 4, "'=foo' is not a type=value line"),
        (head + " a=sendrecv\n", 4, "' a=sendrecv' is not a type=value line"),
        (head + "1=x\n", 4, "'1=x' is not a type=value line"),
        (head + "a=ssrc:1 cname:a\u{0}b\n", 4, "NUL inside the a= line"),
        (head + "s=a\rb\r\n", 4, "CR inside the s= line"),
        (head + "a=x:\u{1B}[2J\n", 4, "control character 27 inside the a= line"),
    ])
    func errorsNameLineAndReason(body: String, line: Int, reason: String) {
        #expect(throws: SDPParseError(line: line, reason: reason)) {
            try SessionDescription(parsing: Array(body.utf8))
        }
    }

    @Test func lineNumbersCountCRLFLines() {
        let body = SDPFixtures.crlf(Self.head + "t=0 0\nm=audio 6000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nm=video x RTP/AVP 31\n")
        #expect(throws: SDPParseError(line: 7, reason: "m= port 'x' is not a number")) {
            try SessionDescription(parsing: Array(body.utf8))
        }
    }

    @Test func descriptionNamesLine() {
        let error = SDPParseError(line: 4, reason: "m= port 'abc' is not a number")
        #expect(error.description == "SDP line 4: m= port 'abc' is not a number")
    }

    @Test func longGarbageIsCutInTheReason() throws {
        let garbage = String(repeating: "z", count: 100)
        let error = try #require(throws: SDPParseError.self) {
            try SessionDescription(parsing: Array((Self.head + garbage + "\n").utf8))
        }
        #expect(error.reason == "'\(String(repeating: "z", count: 40))...' is not a type=value line")
    }
}
