/// Which audio codecs a carrier trunk may see, and in which preference order. Carriers bill,
/// transcode or simply fail on codecs outside their contract, so the SBC trims offers to the
/// trunk's list before they leave rather than hoping the far end picks well.
public struct CodecPolicy: Sendable, Equatable {
    /// Codec names as configured, in preference order.
    public let allowed: [String]

    /// `allowed` codec names in preference order, compared ignoring case, e.g. ["PCMA", "PCMU",
    /// "telephone-event"]. An empty list means no policy: everything passes, order untouched.
    public init(allowed: [String]) {
        self.allowed = allowed
    }

    public var isEmpty: Bool { allowed.isEmpty }

    /// Filters and reorders one accepted audio RTP section; other sections are left alone.
    ///
    /// Formats whose codec is not allowed (a dynamic payload type without rtpmap counts as not
    /// allowed) are removed with their a=rtpmap, a=fmtp and a=rtcp-fb lines; the rest are
    /// ordered by the allowed list, keeping the offer's order among formats of one name (two
    /// opus payload types, say). telephone-event is kept even when not listed, after the
    /// listed codecs: dropping DTMF silently breaks IVRs, and a far end that does not want it
    /// just leaves it out of its answer. CN passes only when listed. Neither counts as a voice
    /// codec: with no voice codec left the section is not touched and `.noCommonCodec` returned.
    public func apply(to media: inout MediaDescription) -> CodecPolicyResult {
        guard !isEmpty, media.port != 0, media.isRTP,
              SDPGrammar.equalsIgnoringASCIICase(media.type.utf8, "audio".utf8)
        else { return .unchanged }

        var kept: [(format: String, rank: Int)] = []
        var removed: [String] = []
        var voiceCodecs = 0
        for (format, codec) in zip(media.formats, media.formatCodecs()) {
            let name = codec?.name.utf8
            let isTelephoneEvent = name.map { SDPGrammar.equalsIgnoringASCIICase($0, "telephone-event".utf8) } ?? false
            if let name, let rank = allowed.firstIndex(where: { SDPGrammar.equalsIgnoringASCIICase($0.utf8, name) }) {
                kept.append((format, rank))
                if !isTelephoneEvent, !SDPGrammar.equalsIgnoringASCIICase(name, "CN".utf8) { voiceCodecs += 1 }
            } else if isTelephoneEvent {
                kept.append((format, allowed.count))
            } else {
                removed.append(format)
            }
        }
        guard voiceCodecs > 0 else { return .noCommonCodec }

        // Sorting by (rank, original position) keeps the order stable among equal ranks.
        let ordered = kept.enumerated()
            .sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
            .map(\.element.format)
        guard !removed.isEmpty || ordered != media.formats else { return .unchanged }

        media.formats = ordered
        if !removed.isEmpty { media.removeFormatLines(of: removed) }
        return .filtered(removed: removed)
    }

    /// Applies the policy to every audio section. Returns `.noCommonCodec` when any audio
    /// section would be left without a voice codec (that section is untouched, the others are
    /// filtered); otherwise `.filtered` with the removed payload types of all sections in
    /// order, or `.unchanged`.
    public func apply(to description: inout SessionDescription) -> CodecPolicyResult {
        guard !isEmpty else { return .unchanged }
        var removed: [String] = []
        var changed = false
        var noCommonCodec = false
        for index in description.media.indices {
            switch apply(to: &description.media[index]) {
            case .unchanged:
                break
            case let .filtered(sectionRemoved):
                changed = true
                removed += sectionRemoved
            case .noCommonCodec:
                noCommonCodec = true
            }
        }
        if noCommonCodec { return .noCommonCodec }
        return changed ? .filtered(removed: removed) : .unchanged
    }
}
