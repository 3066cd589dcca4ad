/// Where `SIPMessage.write(to:)` puts a message's wire form: `SIPWireCounter` only measures it,
/// `SIPWireWriter` copies it into a buffer sized by the counter.
protocol SIPWireSink {
    mutating func append(_ text: String)
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: [UInt8])
    /// `value` in decimal, without leading zeros.
    mutating func append(decimal value: Int)
}

/// A header value written in two passes over one layout, counted then copied: one allocation
/// and no String appends, each of which cost about 220 instructions.
protocol SIPWireWritable {
    func write<Sink: SIPWireSink>(to sink: inout Sink)
}

extension SIPWireWritable {
    var wireText: String {
        var counter = SIPWireCounter()
        write(to: &counter)
        return String(unsafeUninitializedCapacity: counter.count) { buffer in
            var writer = SIPWireWriter(buffer)
            write(to: &writer)
            return writer.count
        }
    }
}

/// Counts the bytes a message's wire form takes.
struct SIPWireCounter: SIPWireSink {
    private(set) var count = 0

    mutating func append(_ text: String) { count += text.utf8.count }
    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func append(_ bytes: [UInt8]) { count += bytes.count }

    mutating func append(decimal value: Int) {
        var rest = value.magnitude
        count += value < 0 ? 2 : 1
        while rest >= 10 {
            rest /= 10
            count += 1
        }
    }
}

/// Copies a message's wire form into a buffer the counter sized. Overrunning it would mean the
/// two sinks disagree, a bug that must stop the process rather than write past the buffer.
struct SIPWireWriter: SIPWireSink {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    mutating func append(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(contiguous: $0) }
        if copied == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    mutating func append(_ byte: UInt8) {
        precondition(count < buffer.count, "SIP wire form longer than its count")
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contiguous: $0) }
    }

    mutating func append(decimal value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        var digits = 1
        var scale: UInt = 1
        while rest / scale >= 10 {
            scale *= 10
            digits += 1
        }
        precondition(count + digits <= buffer.count, "SIP wire form longer than its count")
        for _ in 0..<digits {
            buffer[count] = UInt8(ascii: "0") + UInt8(rest / scale)
            rest %= scale
            scale /= 10
            count += 1
        }
    }

    private mutating func append(contiguous bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        precondition(count + bytes.count <= buffer.count, "SIP wire form longer than its count")
        (buffer.baseAddress! + count).initialize(from: bytes.baseAddress!, count: bytes.count)
        count += bytes.count
    }
}
