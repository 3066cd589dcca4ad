import Testing
@testable import SIPCore

@Suite struct SIPURITests {
    @Test func sipURIParts() throws {
        let uri = try #require(SIPURI(parsing: "sips:alice:secret@[2001:db8::5]:5061;transport=tcp;lr?subject=hi"))
        #expect(uri.scheme == "sips")
        #expect(uri.user == "alice")
        #expect(uri.password == "secret")
        #expect(uri.host == "[2001:db8::5]")
        #expect(uri.port == 5061)
        #expect(uri.parameters == [SIPParameter(name: "transport", value: "tcp"), SIPParameter(name: "lr", value: nil)])
        #expect(uri.headers == "subject=hi")
        #expect(uri.description == "sips:alice:secret@[2001:db8::5]:5061;transport=tcp;lr?subject=hi")
    }

    @Test func userPartMayHoldSemicolonsAndEscapes() throws {
        let uri = try #require(SIPURI(parsing: "sip:user;par=u%40example.net@example.com"))
        #expect(uri.user == "user;par=u%40example.net")
        #expect(uri.host == "example.com")
    }

    @Test func telAndOpaqueSchemes() throws {
        let tel = try #require(SIPURI(parsing: "tel:+15551230000;phone-context=example.com"))
        #expect(tel.user == "+15551230000")
        #expect(tel.description == "tel:+15551230000;phone-context=example.com")
        let other = try #require(SIPURI(parsing: "isbn:2983792873"))
        #expect(other.opaque == "2983792873")
        #expect(!other.isSIP)
    }

    // The last three came from fuzzing: a URI holding `<`, `>` or `"` made the SBC echo a To
    // header (`To: <x:y>>;tag=...`) that no parser, its own included, accepts.
    @Test(arguments: ["sip:", "sip:@host", "sip:user@ host", "sip:host:99999", "sip:host;;lr", "nocolon", "sip:a@b c",
                      "x:y>", "tel:+1<2", "sip:a\"b@host"])
    func malformedURIsAreRefused(text: String) {
        #expect(SIPURI(parsing: text) == nil)
    }

    @Test func nameAddressForms() throws {
        let quoted = try #require(SIPNameAddress.parse("\"Bell, A.\" <sip:bell@example.com>;tag=43"))
        #expect(quoted.displayName == "\"Bell, A.\"")
        #expect(quoted.tag == "43")
        let bare = try #require(SIPNameAddress.parse("sip:bell@example.com;tag=43"))
        #expect(bare.uri.parameters.isEmpty, "parameters of a bare addr-spec belong to the header")
        #expect(bare.tag == "43")
        #expect(SIPNameAddress.parse("Bell, A. <sip:bell@example.com>") == nil)
        #expect(SIPNameAddress.parse("sip:bell@example.com?Route=x") == nil)
        #expect(SIPNameAddress.parseList("<sip:a@x>, \"B\" <sip:b@y>;q=0.5")?.count == 2)
    }

    @Test func headerNamesAndCaseRules() {
        #expect(SIPHeaderName("v") == .via)
        #expect(SIPHeaderName("CALL-ID") == .callID)
        #expect(SIPHeaderName("l") == .contentLength)
        #expect("Branch".equalsIgnoringASCIICase("bRANCH"))
        #expect(!"branch".equalsIgnoringASCIICase("branc"))
    }
}
