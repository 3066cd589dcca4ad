import Testing
@testable import SIPCore

@Suite struct SIPWireSinkTests {
    @Test("decimals are written as String(value) would, in exactly the bytes the counter counted",
          arguments: [0, 7, 10, 99, 100, 486, 1_000_000, Int.max, -5, Int.min + 1])
    func decimalsAgreeWithTheCounter(_ value: Int) {
        var counter = SIPWireCounter()
        counter.append(decimal: value)
        let bytes = [UInt8](unsafeUninitializedCapacity: counter.count) { buffer, initialized in
            var writer = SIPWireWriter(buffer)
            writer.append(decimal: value)
            initialized = writer.count
        }
        #expect(String(decoding: bytes, as: UTF8.self) == String(value))
    }

    @Test("a response's wire form: status line, fields in order, Content-Length from the body")
    func responseWireForm() {
        let response = SIPMessage(startLine: .response(statusCode: 486, reason: "Busy Here"),
                                  headers: [SIPHeaderField(.callID, "a@b"), SIPHeaderField(.contentLength, "999")],
                                  body: Array("hi".utf8))
        #expect(String(decoding: response.serialized(), as: UTF8.self)
            == "SIP/2.0 486 Busy Here\r\nCall-ID: a@b\r\nContent-Length: 2\r\n\r\nhi")
        #expect(response.serializedCount == response.serialized().count)
    }
}
