import Testing
@testable import SIPCore

/// The parser finds known header names from their bytes without building a string; the result
/// must be the name the string path gives, and the spelling check must hold only for the exact
/// display spelling (which the parser then reuses as the raw name).
@Suite struct SIPHeaderNameTests {
    @Test(arguments: [
        ("Via", true), ("VIA", false), ("via", false), ("v", false), ("V", false),
        ("Content-Length", true), ("content-LENGTH", false), ("l", false),
        ("Call-ID", true), ("Call-Id", false), ("i", false), ("CSeq", true), ("Record-Route", true),
        ("Max-Forwards", true), ("Session-Expires", false), ("X-Unknown", false),
        ("Request-Disposition", false), ("d", false),
    ])
    func bytesGiveTheStringPathsName(spelling: String, asDisplayName: Bool) {
        let parsed = SIPHeaderName.parsing(ArraySlice(spelling.utf8))
        #expect(parsed.name == SIPHeaderName(spelling))
        #expect(parsed.name.canonical == SIPHeaderName(spelling).canonical)
        #expect(parsed.spelledAsDisplayName == asDisplayName)
    }

    @Test func knownNamesCompareByCodeAndUnknownByText() {
        #expect(SIPHeaderName("VIA") == .via)
        #expect(SIPHeaderName("f") == .from)
        #expect(SIPHeaderName("X-A") == SIPHeaderName("x-a"))
        #expect(SIPHeaderName("X-A") != SIPHeaderName("X-B"))
        #expect(SIPHeaderName("X-A") != .via)
        let set: Set<SIPHeaderName> = [SIPHeaderName("Via"), SIPHeaderName("X-A")]
        #expect(set.contains(.via) && set.contains(SIPHeaderName("x-a")) && !set.contains(.to))
    }

    @Test func displayNamesOfKnownAndUnknownHeaders() {
        #expect(SIPHeaderName("call-id").displayName == "Call-ID")
        #expect(SIPHeaderName("WARNING").displayName == "Warning")
        #expect(SIPHeaderName("date").displayName == "Date")
        #expect(SIPHeaderName("X-Custom").displayName == "x-custom")
    }
}
