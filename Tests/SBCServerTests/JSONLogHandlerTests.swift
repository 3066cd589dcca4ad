import Testing
@testable import SBCServer

@Suite struct JSONLogHandlerTests {
    @Test func quotingEscapesControlCharactersAndQuotes() {
        var line: [UInt8] = []
        JSONLogHandler.appendQuoted("a\"b\\c\nd\u{1}é", to: &line)
        #expect(String(decoding: line, as: UTF8.self) == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }
}
