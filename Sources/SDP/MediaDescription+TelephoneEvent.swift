/// RFC 4733 telephone-event in a media section: finding it, offering it to a party whose other
/// side did not, and taking it out of an answer to a party that never offered it.
///
/// Why the SBC adds it: a carrier that takes DTMF as RFC 4733 events only gets them if its leg
/// negotiates telephone-event, even when the platform on the other side sends its digits as SIP
/// INFO and offered none (docs/MEDIA.md, "DTMF").
extension MediaDescription {
    /// One telephone-event format of a section.
    public struct TelephoneEvent: Sendable, Equatable {
        public var payloadType: UInt8
        public var clockRate: UInt32

        public init(payloadType: UInt8, clockRate: UInt32) {
            self.payloadType = payloadType
            self.clockRate = clockRate
        }
    }

    static let telephoneEventName = "telephone-event"

    /// The section's first telephone-event format (its payload type and clock rate); nil for a
    /// section without one, a non-RTP or a rejected section.
    public var telephoneEvent: TelephoneEvent? {
        guard port != 0, isRTP else { return nil }
        for (format, codec) in zip(formats, formatCodecs()) {
            guard let codec, SDPGrammar.equalsIgnoringASCIICase(codec.name.utf8, Self.telephoneEventName.utf8),
                  let payloadType = SDPGrammar.decimal(format.utf8, max: 127)
            else { continue }
            return TelephoneEvent(payloadType: UInt8(payloadType), clockRate: codec.clockRate)
        }
        return nil
    }

    /// `a=ptime` in milliseconds, when present and sensible (1-1000).
    public var packetTime: Duration? {
        guard case let .some(.some(value)) = attribute("ptime"),
              let milliseconds = SDPGrammar.decimal(value.utf8, max: 1000), milliseconds > 0
        else { return nil }
        return .milliseconds(Int64(milliseconds))
    }

    /// Adds telephone-event (events 0-16, the DTMF digits and flash) to an accepted audio RTP
    /// section that has none: `preferred` (an answer repeats the offer's payload type and clock
    /// rate) when its payload type is free, else a dynamic payload type no format of the section
    /// uses (101 when free, the usual choice, else the lowest free of 96-127) at the clock rate
    /// of the section's first codec (RFC 4733 §2.1: events share the audio's timestamp clock),
    /// listed last. Returns the format added; nil when the section already has one, is not audio
    /// RTP, is rejected, or no dynamic payload type is free.
    @discardableResult
    public mutating func addTelephoneEvent(preferred: TelephoneEvent? = nil) -> TelephoneEvent? {
        guard port != 0, isRTP, SDPGrammar.equalsIgnoringASCIICase(type.utf8, "audio".utf8), telephoneEvent == nil
        else { return nil }
        var used = Set(formats)
        for line in lines {
            for name in ["rtpmap", "fmtp"] {
                if case let .some(.some(value)) = line.attributeText(named: name) {
                    used.insert(String(Self.leadingPayloadType(value)))
                }
            }
        }
        let candidates = (preferred.map { [Int($0.payloadType)] } ?? []) + [101] + Array(96...127)
        guard let payloadType = candidates.first(where: { !used.contains(String($0)) }) else { return nil }
        let clockRate = preferred?.clockRate ?? formats.first.flatMap { codec(forPayloadType: $0)?.clockRate } ?? 8000
        let added = [SDPLine(type: "a", value: "rtpmap:\(payloadType) \(Self.telephoneEventName)/\(clockRate)"),
                     SDPLine(type: "a", value: "fmtp:\(payloadType) 0-16")]
        // After the other formats' rtpmap/fmtp lines, where readers expect it; else at the end.
        let codecLine = lines.lastIndex { $0.isAttribute(named: "rtpmap") || $0.isAttribute(named: "fmtp") }
        lines.insert(contentsOf: added, at: codecLine.map { $0 + 1 } ?? lines.endIndex)
        formats.append(String(payloadType))
        return TelephoneEvent(payloadType: UInt8(payloadType), clockRate: clockRate)
    }

    /// Removes every telephone-event format with its rtpmap, fmtp and rtcp-fb lines; returns the
    /// payload types removed. A section left without formats is not touched (none is removed).
    @discardableResult
    public mutating func removeTelephoneEvent() -> [String] {
        guard isRTP else { return [] }
        let removed = zip(formats, formatCodecs()).compactMap { format, codec -> String? in
            guard let codec, SDPGrammar.equalsIgnoringASCIICase(codec.name.utf8, Self.telephoneEventName.utf8) else {
                return nil
            }
            return format
        }
        guard !removed.isEmpty, removed.count < formats.count else { return [] }
        formats.removeAll { removed.contains($0) }
        removeFormatLines(of: removed)
        return removed
    }

    /// Removes the `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` lines of the payload types `removed`
    /// (formats taken out of the m= line).
    mutating func removeFormatLines(of removed: [String]) {
        lines.removeAll { line in
            guard line.type == "a" else { return false }
            for name in ["rtpmap", "fmtp", "rtcp-fb"] {
                if case let .some(.some(value)) = line.attributeText(named: name) {
                    let payloadType = Self.leadingPayloadType(value)
                    return removed.contains { $0 == payloadType }
                }
            }
            return false
        }
    }
}
