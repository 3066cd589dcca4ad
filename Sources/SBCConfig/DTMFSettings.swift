import Yams

/// How a trunk takes DTMF (key `trunks[].dtmf`, default `passthrough`). docs/MEDIA.md, "DTMF".
///
/// Why per trunk: contact-center IVRs and carriers disagree on how digits travel, and a digit
/// sent the way the far end does not listen for is silently lost (the caller's card number
/// never reaches the IVR). The SBC converts between the two methods per leg, so each trunk gets
/// digits the way it wants them whatever the other side sends.
public enum DTMFMode: String, Sendable, Equatable, CaseIterable {
    /// RFC 4733 telephone-event packets in the media stream. Digits from the other side that
    /// arrive as SIP INFO become events the relay injects into the stream towards this trunk;
    /// the SBC offers the trunk telephone-event when the other side did not.
    case rfc4733
    /// SIP INFO requests (body type per `dtmf_info_type`). Telephone-event packets from the other
    /// side are not forwarded; the relay detects them and the SBC sends an INFO per digit.
    case info
    /// RFC 4733 when the trunk's leg negotiated telephone-event, SIP INFO otherwise (the field
    /// guides' "RFC 2833 with SIP INFO fallback"); telephone-event is offered to it.
    case both
    /// Today's behaviour: DTMF reaches the trunk the way the other side sent it (events relayed,
    /// with their payload type mapped to the trunk's; INFO relayed as it came).
    case passthrough
}

/// The body of the SIP INFO requests the SBC sends a trunk that takes DTMF as INFO (key
/// `trunks[].dtmf_info_type`, default `dtmf-relay`). Both are understood when received.
public enum DTMFInfoType: String, Sendable, Equatable, CaseIterable {
    /// `application/dtmf-relay`: `Signal=5` and `Duration=160` (milliseconds) lines (Cisco style,
    /// the most widely accepted).
    case dtmfRelay = "dtmf-relay"
    /// `application/dtmf`: the digit alone (the RFC 2976 era format some carriers use).
    case dtmf
}

/// A trunk's DTMF keys, read together.
public struct TrunkDTMFSettings: Sendable, Equatable {
    public var mode: DTMFMode
    public var infoType: DTMFInfoType

    public init(mode: DTMFMode = .passthrough, infoType: DTMFInfoType = .dtmfRelay) {
        self.mode = mode
        self.infoType = infoType
    }

    /// `dtmf` and `dtmf_info_type` of one `trunks` entry (both optional).
    static func read(_ reader: MappingReader) -> TrunkDTMFSettings {
        var settings = TrunkDTMFSettings()
        settings.mode = reader.choice("dtmf") ?? settings.mode
        settings.infoType = reader.choice("dtmf_info_type") ?? settings.infoType
        return settings
    }
}
