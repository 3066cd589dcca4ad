import SIPCore
import Testing

/// `compacted` (messages kept for long: a dialog's last ACK, a transaction's request) keeps the
/// message as it was and drops the spare room an appended-to header list has (issue 15).
@Suite struct SIPMessageCompactionTests {
    @Test func compactedKeepsTheMessageAndDropsSpareHeaderRoom() {
        var message = SIPMessage.request(.ack, uri: SIPURI(user: "1", host: "example.com"))
        for number in 0..<17 { message.add(.route, "<sip:proxy\(number).example.com;lr>") }
        message.set(.callID, "compaction@example.com")
        #expect(message.headers.capacity > message.headers.count + 2)
        let compacted = message.compacted
        #expect(compacted == message)
        #expect(compacted.serialized() == message.serialized())
        #expect(compacted.headers.capacity <= compacted.headers.count + 2)
        #expect(compacted.callID == "compaction@example.com")
    }

    @Test func parsedMessagesAreKeptAsTheyAre() throws {
        let text = "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
            + "From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
            + "Content-Length: 0\r\n\r\n"
        let message = try SIPMessage(parsing: Array(text.utf8))
        let compacted = message.compacted
        #expect(compacted.serialized() == message.serialized())
        #expect(compacted.topViaBranch == "z9hG4bK1")
    }
}
