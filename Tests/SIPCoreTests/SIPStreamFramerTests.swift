import Testing
@testable import SIPCore

/// Framing is where stream transports go wrong in production (split reads, pipelining, bad
/// Content-Length), so these feed the framer the same bytes in many different chunkings.
@Suite("SIPStreamFramer")
struct SIPStreamFramerTests {
    static func message(body: String = "", lengthHeader: String = "Content-Length", extra: String = "") -> [UInt8] {
        let text = "OPTIONS sip:carrier.example SIP/2.0\r\n"
            + "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-1\r\n"
            + "Call-ID: abc@10.0.0.1\r\n"
            + "CSeq: 1 OPTIONS\r\n"
            + extra
            + "\(lengthHeader): \(body.utf8.count)\r\n"
            + "\r\n" + body
        return Array(text.utf8)
    }

    /// Feeds `bytes` in chunks of `size` and collects every frame.
    static func frames(_ bytes: [UInt8], chunk size: Int, limit: Int = 4096) throws -> [SIPStreamFrame] {
        var framer = SIPStreamFramer(maxMessageBytes: limit)
        var result: [SIPStreamFrame] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + size, bytes.count)
            framer.append(Array(bytes[offset..<end]))
            while let frame = try framer.next() { result.append(frame) }
            offset = end
        }
        #expect(framer.bufferedByteCount == 0)
        return result
    }

    @Test("whole message in one chunk")
    func single() throws {
        let m = Self.message(body: "hello")
        #expect(try Self.frames(m, chunk: m.count) == [.message(m)])
    }

    @Test("split at every chunk size", arguments: [1, 2, 3, 5, 7, 13, 64])
    func chunked(size: Int) throws {
        let a = Self.message(body: "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n")
        let b = Self.message()
        #expect(try Self.frames(a + b + a, chunk: size) == [.message(a), .message(b), .message(a)])
    }

    @Test("two messages in one chunk")
    func pipelined() throws {
        let a = Self.message(body: "first")
        let b = Self.message(body: "second!")
        var framer = SIPStreamFramer(maxMessageBytes: 4096)
        framer.append(a + b)
        #expect(try framer.next() == .message(a))
        #expect(try framer.next() == .message(b))
        #expect(try framer.next() == nil)
    }

    @Test("body containing CRLFCRLF is not mistaken for a header end")
    func bodyWithBlankLine() throws {
        let m = Self.message(body: "a\r\n\r\nb")
        #expect(try Self.frames(m, chunk: 4) == [.message(m)])
    }

    @Test("compact form, any case, folded value, extra whitespace")
    func headerVariants() throws {
        let compact = Self.message(body: "xyz", lengthHeader: "l")
        #expect(try Self.frames(compact, chunk: 9) == [.message(compact)])
        let upper = Self.message(body: "xyz", lengthHeader: "CONTENT-length ")
        #expect(try Self.frames(upper, chunk: 9) == [.message(upper)])
        let folded = Array("INVITE sip:a@b SIP/2.0\r\nContent-Length:\r\n   4\r\nTo: <sip:a@b>\r\n\r\nbody".utf8)
        #expect(try Self.frames(folded, chunk: 3) == [.message(folded)])
    }

    @Test("keep-alive ping between messages; lone CRLFs are skipped")
    func keepAlives() throws {
        let m = Self.message(body: "x")
        let crlf: [UInt8] = [13, 10]
        let stream = crlf + crlf + m + crlf + m + crlf + crlf
        for size in [1, 2, 3, stream.count] {
            #expect(try Self.frames(stream, chunk: size) == [.keepAlivePing, .message(m), .message(m), .keepAlivePing])
        }
    }

    @Test("a lone CRLF pong waits without producing a frame")
    func pongOnly() throws {
        var framer = SIPStreamFramer(maxMessageBytes: 100)
        framer.append([13, 10])
        #expect(try framer.next() == nil)
    }

    @Test("oversize declared body is rejected before it arrives")
    func oversizeBody() {
        let m = Self.message(body: String(repeating: "x", count: 600))
        var framer = SIPStreamFramer(maxMessageBytes: 512)
        framer.append(Array(m.prefix(200)))
        #expect(throws: SIPFramingError.messageTooLarge(declared: 600, limit: 512)) { try framer.next() }
    }

    @Test("header section without end beyond the limit")
    func oversizeHeader() {
        var framer = SIPStreamFramer(maxMessageBytes: 256)
        framer.append(Array("INVITE sip:a@b SIP/2.0\r\n".utf8))
        for _ in 0..<20 {
            framer.append(Array("X-Padding: aaaaaaaaaaaaaaaaaaaa\r\n".utf8))
        }
        #expect(throws: SIPFramingError.headerTooLarge) { try framer.next() }
    }

    @Test("missing Content-Length")
    func missing() {
        var framer = SIPStreamFramer(maxMessageBytes: 1024)
        framer.append(Array("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n".utf8))
        #expect(throws: SIPFramingError.missingContentLength) { try framer.next() }
    }

    @Test("invalid Content-Length values", arguments: ["abc", "-1", "12 34", "", "99999999999999999999999"])
    func invalid(value: String) {
        var framer = SIPStreamFramer(maxMessageBytes: 1024)
        framer.append(Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: \(value)\r\n\r\n".utf8))
        #expect {
            try framer.next()
        } throws: { error in
            guard case .badContentLength = error as? SIPFramingError else { return false }
            return true
        }
    }

    @Test("conflicting duplicate Content-Length is rejected, agreeing duplicates accepted")
    func duplicates() throws {
        var bad = SIPStreamFramer(maxMessageBytes: 1024)
        bad.append(Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab".utf8))
        #expect(throws: SIPFramingError.badContentLength("conflicting values 1 and 2")) { try bad.next() }

        let ok = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab".utf8)
        #expect(try Self.frames(ok, chunk: 5) == [.message(ok)])
    }

    @Test("a header named like content-length is not confused with it")
    func similarNames() throws {
        let m = Self.message(body: "ok", extra: "X-Content-Length: 999\r\nL-Thing: 5\r\n")
        #expect(try Self.frames(m, chunk: 11) == [.message(m)])
    }

    @Test("many messages through a long-lived framer keep memory bounded")
    func longRunning() throws {
        let m = Self.message(body: "payload")
        var framer = SIPStreamFramer(maxMessageBytes: 1024)
        for _ in 0..<2000 {
            framer.append(m)
            #expect(try framer.next() == .message(m))
        }
        #expect(framer.bufferedByteCount == 0)
    }
}
