import SIPCore

/// libFuzzer entry point: a TCP/TLS byte stream cut into SIP messages.
///
/// The first input byte chooses how the rest arrives (segments of 1 to 64 bytes, as a slow or
/// hostile sender would split it); the stream is framed twice, segmented and in one piece, and
/// both must give the same frames, and fail or not alike (which limit is hit first may differ): framing that depends on how TCP segments
/// fall would desynchronise a connection. Every frame then goes through the parser, as the
/// transport hands it on. The limit is small so that inputs reach the size checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIPStreamFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let segment = Int(data[0] & 0x3F) + 1
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    let whole = frames(of: stream, segment: max(stream.count, 1))
    let segmented = frames(of: stream, segment: segment)
    guard whole.frames == segmented.frames, (whole.error == nil) == (segmented.error == nil),
          whole.error != nil || whole.buffered == segmented.buffered else {
        fatalError("framing depends on segmentation (\(segment)-byte segments): \(whole) vs \(segmented)")
    }
    for case .message(let bytes) in whole.frames {
        _ = try? SIPMessageParser.parse(bytes)
    }
    return 0
}

private let maxMessageBytes = 1024

private struct Framing: Equatable, CustomStringConvertible {
    var frames: [SIPStreamFrame] = []
    var error: SIPFramingError?
    var buffered = 0

    var description: String { "\(frames.count) frames, error \(error.map(String.init(describing:)) ?? "none"), \(buffered) buffered" }
}

private func frames(of stream: [UInt8], segment: Int) -> Framing {
    var framer = SIPStreamFramer(maxMessageBytes: maxMessageBytes)
    var result = Framing()
    var offset = 0
    repeat {
        let end = min(offset + segment, stream.count)
        framer.append(Array(stream[offset..<end]))
        offset = end
        do {
            while let frame = try framer.next() {
                if case .message(let bytes) = frame, bytes.count > maxMessageBytes {
                    fatalError("framer returned \(bytes.count) bytes, over its \(maxMessageBytes)-byte limit")
                }
                result.frames.append(frame)
            }
        } catch {
            result.error = error
            return result
        }
    } while offset < stream.count
    result.buffered = framer.bufferedByteCount
    return result
}
