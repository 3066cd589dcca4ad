/// What the relay does with RFC 4733 telephone-events on one side of a stream
/// (`MediaLegSpec.dtmf`), as signalling worked it out from both sides' SDP and the trunks'
/// `dtmf` modes (docs/MEDIA.md, "DTMF").
///
/// The default (nothing known) is the relay as it always was: packets are not looked at and
/// cross untouched.
public struct MediaLegDTMF: Sendable, Equatable {
    /// The payload type this side's party sends telephone-events with (the one in the SDP the
    /// SBC sent it). Its packets of that type are parsed: each event is reported to signalling
    /// once (`MediaEvent.telephoneEvent`). nil: not looked at.
    public var receivePayloadType: UInt8?
    /// The payload type this side's party takes telephone-events with (its own SDP): events from
    /// the other side are relayed to it with their payload type rewritten to this one, and
    /// injected events use it. nil: it takes none (it takes DTMF as SIP INFO, or negotiated no
    /// telephone-event), and the other side's events are not forwarded to it.
    public var sendPayloadType: UInt8?
    /// Clock rate of the telephone-event format (duration units).
    public var clockRate: UInt32
    /// Update interval of injected events: the party's packetisation time (a=ptime), else 50 ms.
    public var interval: Duration

    public static let defaultInterval: Duration = .milliseconds(50)

    public init(receivePayloadType: UInt8? = nil, sendPayloadType: UInt8? = nil, clockRate: UInt32 = 8000,
                interval: Duration = MediaLegDTMF.defaultInterval) {
        self.receivePayloadType = receivePayloadType
        self.sendPayloadType = sendPayloadType
        self.clockRate = clockRate
        self.interval = interval
    }
}
