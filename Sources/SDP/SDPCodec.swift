/// An RTP payload format as named by `a=rtpmap` (encoding name, clock rate, channels). Codec
/// policy matches on the name, so the static payload types of RFC 3551 resolve to the same
/// value as their explicit rtpmap line would.
public struct SDPCodec: Sendable, Hashable {
    /// Encoding name as written ("PCMU", "opus", "telephone-event"); compare ignoring case.
    public var name: String
    public var clockRate: UInt32
    /// The encoding parameters (channels for audio); nil when the rtpmap has none.
    public var channels: Int?

    public init(name: String, clockRate: UInt32, channels: Int? = nil) {
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
    }

    /// Parses `name/rate[/channels]`, the part of an rtpmap after the payload type.
    public init?(encoding: Substring) {
        let utf8 = encoding.utf8
        guard let nameEnd = utf8.firstIndex(of: SDPGrammar.slash), nameEnd > utf8.startIndex else { return nil }
        let rest = utf8[utf8.index(after: nameEnd)...]
        let rateEnd = rest.firstIndex(of: SDPGrammar.slash) ?? rest.endIndex
        guard let rate = SDPGrammar.decimal(rest[..<rateEnd], max: UInt64(UInt32.max)) else { return nil }
        name = String(encoding[..<nameEnd])
        clockRate = UInt32(rate)
        if rateEnd < rest.endIndex {
            guard let channels = SDPGrammar.decimal(rest[rest.index(after: rateEnd)...], max: UInt64(Int32.max)) else {
                return nil
            }
            self.channels = Int(channels)
        } else {
            channels = nil
        }
    }

    /// The text after `a=rtpmap:<pt> `.
    public var encoding: String {
        channels.map { "\(name)/\(clockRate)/\($0)" } ?? "\(name)/\(clockRate)"
    }

    /// RFC 3551 tables 4 and 5: payload types 0-34 that may be used without an rtpmap (SIPp and
    /// many carriers send `m=audio ... 0 8 18` bare). G722 keeps its nominal 8000 clock per RFC
    /// 3551 §4.5.2; channels are given only where the table fixes more than one.
    public static func staticPayloadType(_ payloadType: Int) -> SDPCodec? {
        switch payloadType {
        case 0: SDPCodec(name: "PCMU", clockRate: 8000)
        case 3: SDPCodec(name: "GSM", clockRate: 8000)
        case 4: SDPCodec(name: "G723", clockRate: 8000)
        case 5: SDPCodec(name: "DVI4", clockRate: 8000)
        case 6: SDPCodec(name: "DVI4", clockRate: 16000)
        case 7: SDPCodec(name: "LPC", clockRate: 8000)
        case 8: SDPCodec(name: "PCMA", clockRate: 8000)
        case 9: SDPCodec(name: "G722", clockRate: 8000)
        case 10: SDPCodec(name: "L16", clockRate: 44100, channels: 2)
        case 11: SDPCodec(name: "L16", clockRate: 44100)
        case 12: SDPCodec(name: "QCELP", clockRate: 8000)
        case 13: SDPCodec(name: "CN", clockRate: 8000)
        case 14: SDPCodec(name: "MPA", clockRate: 90000)
        case 15: SDPCodec(name: "G728", clockRate: 8000)
        case 16: SDPCodec(name: "DVI4", clockRate: 11025)
        case 17: SDPCodec(name: "DVI4", clockRate: 22050)
        case 18: SDPCodec(name: "G729", clockRate: 8000)
        case 25: SDPCodec(name: "CelB", clockRate: 90000)
        case 26: SDPCodec(name: "JPEG", clockRate: 90000)
        case 28: SDPCodec(name: "nv", clockRate: 90000)
        case 31: SDPCodec(name: "H261", clockRate: 90000)
        case 32: SDPCodec(name: "MPV", clockRate: 90000)
        case 33: SDPCodec(name: "MP2T", clockRate: 90000)
        case 34: SDPCodec(name: "H263", clockRate: 90000)
        default: nil
        }
    }
}
