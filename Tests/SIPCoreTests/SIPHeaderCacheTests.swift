import Testing
@testable import SIPCore

/// The parser's typed-header cache (`SIPHeaderIndex`) survives edits of other headers, follows a
/// top-Via rewrite, and is dropped by any edit that could change what it holds; and the plain
/// branch scan agrees with the full Via parse wherever it answers.
@Suite struct SIPHeaderCacheTests {
    static let text = "INVITE sip:+15551230000@10.0.0.1 SIP/2.0\r\n"
        + "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc, SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKold\r\n"
        + "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=f1\r\nTo: <sip:b@10.0.0.1>\r\n"
        + "Call-ID: c1@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n"

    static func parsed() throws -> SIPMessage { try SIPMessageParser.parse(Array(text.utf8)) }

    @Test func editsOfOtherHeadersKeepTheCache() throws {
        var message = try Self.parsed()
        #expect(message.index != nil)
        message.set(.maxForwards, "69")
        message.add(SIPHeaderName("X-Trace"), "1")
        message.remove(SIPHeaderName("X-Absent"))
        message.prepend(SIPHeaderName("X-First"), "0")
        #expect(message.index != nil, "Max-Forwards and unknown headers are not cached")
        #expect(message.to?.uri.user == "b" && message.from?.tag == "f1" && message.cseq?.number == 1)
    }

    @Test(arguments: [SIPHeaderName.via, .from, .to, .cseq, .contact, .recordRoute])
    func editsOfCachedHeadersDropIt(name: SIPHeaderName) throws {
        var viaSet = try Self.parsed()
        viaSet.set(name, name == .cseq ? "2 INVITE" : "<sip:x@192.0.2.99>")
        #expect(viaSet.index == nil)
        var added = try Self.parsed()
        added.add(name, "<sip:y@192.0.2.98>")
        #expect(added.index == nil)
        var edited = try Self.parsed()
        edited.headers[0].value = "SIP/2.0/UDP 192.0.2.77;branch=z9hG4bKnew"
        #expect(edited.index == nil && edited.topVia?.host == "192.0.2.77", "direct edits always drop it")
    }

    @Test func topViaRewriteKeepsTheCacheUpToDate() throws {
        var message = try Self.parsed()
        message.updateTopVia { $0.parameters.set("received", to: "198.51.100.7") }
        #expect(message.index != nil)
        #expect(message.topVia?.parameters[parameter: "received"] == "198.51.100.7")
        #expect(message.vias.map(\.branch) == ["z9hG4bKabc", "z9hG4bKold"])
        let fresh = try SIPMessageParser.parse(message.serialized())
        #expect(fresh.vias == message.vias, "the cache says what the text says")
    }

    @Test(arguments: [
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport",
        "SIP/2.0/UDP 10.0.0.1;BRANCH=z9hG4bKUpper",
        "SIP/2.0/TLS h.example.com;received=1.2.3.4;branch=z9hG4bK-x.y_z~2;ttl=3",
        "SIP/2.0/UDP 10.0.0.1;xbranch=no;branch=z9hG4bKyes",
    ])
    func plainBranchAgreesWithTheParse(via: String) throws {
        let scanned = try #require(SIPVia.plainBranch(in: via))
        #expect(scanned == SIPVia.parseList(via)?.first?.branch)
    }

    @Test(arguments: [
        "SIP/2.0/UDP 10.0.0.1 ; branch = z9hG4bK1",
        "SIP/2.0/UDP 10.0.0.1;x=\";branch=fake\";branch=z9hG4bKreal",
        "SIP/2.0/UDP a, SIP/2.0/UDP b;branch=second",
        "SIP/2.0/UDP 10.0.0.1;branch=",
        "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK7\tmore",
        "SIP/2.0/UDP h;branch=z9hG4bK2 , SIP/2.0/UDP b;branch=second",
        "SIP/2.0/UDP 10.0.0.1",
    ])
    func anythingLessPlainIsLeftToTheParse(via: String) {
        #expect(SIPVia.plainBranch(in: via) == nil)
    }
}
