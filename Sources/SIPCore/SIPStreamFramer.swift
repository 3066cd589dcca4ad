/// Why a byte stream could not be cut into SIP messages. Every case is fatal for the stream:
/// once framing is lost, later bytes cannot be trusted to start a message, so the transport
/// closes the connection.
public enum SIPFramingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No end of headers (CRLFCRLF) within the message size limit.
    case headerTooLarge
    case messageTooLarge(declared: Int, limit: Int)
    /// RFC 3261 sec. 18.3 makes Content-Length mandatory on stream transports.
    case missingContentLength
    /// Not a decimal number, or two Content-Length headers that disagree.
    case badContentLength(String)

    public var description: String {
        switch self {
        case .headerTooLarge: return "SIP header section exceeds the message size limit"
        case .messageTooLarge(let declared, let limit): return "SIP message of \(declared) bytes exceeds limit \(limit)"
        case .missingContentLength: return "SIP message on a stream transport has no Content-Length"
        case .badContentLength(let value): return "invalid Content-Length: \(value)"
        }
    }
}

/// One unit cut from a SIP stream.
public enum SIPStreamFrame: Sendable, Equatable {
    /// A complete message: start line, headers, blank line and exactly Content-Length body bytes.
    case message([UInt8])
    /// An RFC 5626 keep-alive ping (CRLFCRLF between messages); the answer is a single CRLF.
    case keepAlivePing
}

/// Cuts SIP messages out of a TCP/TLS byte stream (RFC 3261 sec. 18.3), sans-IO.
///
/// It parses only what framing needs: the end of the header section and Content-Length. The
/// header scan resumes where the previous `append` stopped, so a message trickling in byte by
/// byte costs linear time, not quadratic.
public struct SIPStreamFramer: Sendable {
    public let maxMessageBytes: Int

    private var buffer: [UInt8] = []
    /// Start of unconsumed bytes in `buffer`; compacted lazily to avoid shifting per message.
    private var start = 0
    /// Offset (relative to `start`) up to which no CRLFCRLF was found in the current message.
    private var scanned = 0
    /// Header length and total length of the current message, once its headers are complete.
    private var pendingLength: Int?

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    public init(maxMessageBytes: Int) {
        precondition(maxMessageBytes > 0, "maxMessageBytes must be positive")
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && (start == buffer.count || start >= 4096) {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Returns the next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(SIPFramingError) -> SIPStreamFrame? {
        if pendingLength == nil {
            // Between messages: CRLFCRLF is a ping, a lone CRLF (a pong, or padding) is skipped.
            while bufferedByteCount >= 2, buffer[start] == Self.cr, buffer[start + 1] == Self.lf {
                if bufferedByteCount < 4 { return nil }
                if buffer[start + 2] == Self.cr && buffer[start + 3] == Self.lf {
                    consume(4)
                    return .keepAlivePing
                }
                consume(2)
            }
            if bufferedByteCount == 1 && buffer[start] == Self.cr { return nil }
            guard let headerEnd = findHeaderEnd() else {
                if bufferedByteCount > maxMessageBytes { throw .headerTooLarge }
                return nil
            }
            let contentLength = try Self.contentLength(buffer[start..<(start + headerEnd)])
            let total = headerEnd + contentLength
            if total > maxMessageBytes || contentLength > maxMessageBytes {
                throw .messageTooLarge(declared: contentLength, limit: maxMessageBytes)
            }
            pendingLength = total
        }
        guard let total = pendingLength, bufferedByteCount >= total else { return nil }
        let message = Array(buffer[start..<(start + total)])
        consume(total)
        pendingLength = nil
        return .message(message)
    }

    private mutating func consume(_ count: Int) {
        start += count
        scanned = 0
    }

    /// Length of the header section including the final CRLFCRLF, if complete.
    private mutating func findHeaderEnd() -> Int? {
        let available = bufferedByteCount
        var i = max(scanned, 0)
        while i + 3 < available {
            let b = buffer[start + i + 3]
            if b != Self.lf {
                // The last byte of CRLFCRLF is LF; anything else lets us skip ahead.
                i += b == Self.cr ? 1 : 4
                continue
            }
            if buffer[start + i] == Self.cr, buffer[start + i + 1] == Self.lf, buffer[start + i + 2] == Self.cr {
                return i + 4
            }
            i += 1
        }
        scanned = max(0, available - 3)
        return nil
    }

    /// Finds Content-Length (or compact `l`) in a header section, honouring line folding.
    static func contentLength(_ header: ArraySlice<UInt8>) throws(SIPFramingError) -> Int {
        var found: Int?
        var lineStart = header.startIndex
        var first = true
        var index = header.startIndex
        let end = header.endIndex
        while index < end {
            // Find the end of this logical line: CRLF not followed by SP/HT (a fold).
            var lineEnd = index
            while lineEnd + 1 < end {
                if header[lineEnd] == cr && header[lineEnd + 1] == lf {
                    let nextIndex = lineEnd + 2
                    if nextIndex < end, header[nextIndex] == 0x20 || header[nextIndex] == 0x09 {
                        lineEnd = nextIndex
                        continue
                    }
                    break
                }
                lineEnd += 1
            }
            if lineEnd + 1 >= end { lineEnd = end }
            let line = header[lineStart..<lineEnd]
            if first {
                first = false
            } else if let value = try lengthValue(line) {
                if let previous = found, previous != value {
                    throw .badContentLength("conflicting values \(previous) and \(value)")
                }
                found = value
            }
            index = min(lineEnd + 2, end)
            lineStart = index
        }
        guard let length = found else { throw .missingContentLength }
        return length
    }

    /// The value if `line` is a Content-Length header, nil if it is another header.
    private static func lengthValue(_ line: ArraySlice<UInt8>) throws(SIPFramingError) -> Int? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var nameEnd = colon
        while nameEnd > line.startIndex, isWhitespace(line[nameEnd - 1]) { nameEnd -= 1 }
        let name = line[line.startIndex..<nameEnd]
        guard matches(name, "content-length") || matches(name, "l") else { return nil }
        var value = 0
        var digits = 0
        var sawNonDigit = false
        for byte in line[(colon + 1)...] {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if sawNonDigit && digits > 0 {
                    throw .badContentLength(text(line[(colon + 1)...]))
                }
                let (scaled, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = scaled.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                if o1 || o2 || digits >= 18 { throw .badContentLength(text(line[(colon + 1)...])) }
                value = sum
                digits += 1
            case 0x20, 0x09, cr, lf:
                if digits > 0 { sawNonDigit = true }
            default:
                throw .badContentLength(text(line[(colon + 1)...]))
            }
        }
        guard digits > 0 else { throw .badContentLength(text(line[(colon + 1)...])) }
        return value
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func matches(_ name: ArraySlice<UInt8>, _ lowercase: StaticString) -> Bool {
        guard name.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            var i = 0
            for byte in name {
                let lowered = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                if lowered != expected[i] { return false }
                i += 1
            }
            return true
        }
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
