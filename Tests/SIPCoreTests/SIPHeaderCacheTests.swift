import Testing
@testable import SIPCore

/// The typed-header cache (`SIPHeaderIndex`) survives edits of other headers, follows a top-Via
/// rewrite, drops each header an edit could change, and agrees with the text of messages built
/// from typed values; and the plain branch scan agrees with the full Via parse wherever it answers.
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

    /// What the cache holds for `name`, if anything.
    static func cached(_ name: SIPHeaderName, in message: SIPMessage) -> Bool {
        guard let index = message.index else { return false }
        switch name {
        case .via: return index.vias != nil
        case .from: return index.from != nil
        case .to: return index.to != nil
        case .cseq: return index.cseq != nil
        case .contact: return index.contacts != nil
        default: return index.recordRoutes != nil
        }
    }

    @Test(arguments: [SIPHeaderName.via, .from, .to, .cseq, .contact, .recordRoute])
    func editsOfCachedHeadersDropThatHeader(name: SIPHeaderName) throws {
        let others = [SIPHeaderName.via, .from, .to, .cseq, .contact].filter { $0 != name }
        var viaSet = try Self.parsed()
        viaSet.set(name, name == .cseq ? "2 INVITE" : "<sip:x@192.0.2.99>")
        #expect(!Self.cached(name, in: viaSet) && others.allSatisfy { Self.cached($0, in: viaSet) })
        var added = try Self.parsed()
        added.add(name, "<sip:y@192.0.2.98>")
        #expect(!Self.cached(name, in: added) && others.allSatisfy { Self.cached($0, in: added) })
        if name == .to { #expect(viaSet.to?.uri.user == "x", "the typed view reads the new text") }
        if name == .cseq { #expect(viaSet.cseq?.number == 2) }
        var edited = try Self.parsed()
        edited.headers[0].value = "SIP/2.0/UDP 192.0.2.77;branch=z9hG4bKnew"
        #expect(edited.index == nil && edited.topVia?.host == "192.0.2.77", "direct edits always drop it")
    }

    /// A request the SBC builds from typed values, and the responses built to a parsed request,
    /// keep typed headers that must say exactly what their text says.
    @Test(arguments: ["10.0.0.1", "[2001:db8::1]"])
    func typedBuildsAgreeWithTheirText(host: String) throws {
        let via = SIPVia(transport: "TLS", host: host, port: 5061,
                         parameters: [SIPParameter(name: "branch", value: "z9hG4bKt1"), SIPParameter(name: "rport", value: nil)])
        let from = try #require(SIPNameAddress.parse("\"Agent Smith\" <sip:+15550001111@192.0.2.10;user=phone>;tag=a1"))
        let to = try #require(SIPNameAddress.parse("<tel:+15551230000;phone-context=example.com>"))
        var request = SIPMessage.request(.invite, uri: try #require(SIPURI(parsing: "sip:+1555@\(host):5061;transport=tls")),
                                         via: via, maxForwards: 69, from: from, to: to, callID: "c@h",
                                         cseq: SIPCSeq(number: 7, method: .invite))
        request.add(.contact, "<sip:sbc@10.0.0.1>")
        let reparsed = try SIPMessageParser.parse(request.serialized())
        #expect(request.index?.vias != nil && request.index?.to != nil && request.index?.contacts == nil)
        #expect(request.vias == reparsed.vias && request.from == reparsed.from && request.to == reparsed.to)
        #expect(request.cseq == reparsed.cseq && request.contacts == reparsed.contacts)

        let response = SIPResponseBuilder.response(to: reparsed, statusCode: 180, toTag: "b2")
        let reparsedResponse = try SIPMessageParser.parse(response.serialized())
        #expect(response.index?.to?.tag == "b2")
        #expect(response.vias == reparsedResponse.vias && response.from == reparsedResponse.from)
        #expect(response.to == reparsedResponse.to && response.cseq == reparsedResponse.cseq)
        let withContact = SIPResponseBuilder.response(to: reparsed, statusCode: 200, toTag: "b2",
                                                      extraHeaders: [SIPHeaderField(.contact, "<sip:sbc@h>")])
        #expect(withContact.index == nil, "a held header among the extras: nothing inherited")
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
