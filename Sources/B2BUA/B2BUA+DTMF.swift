import Logging
import Media
import SBCConfig
import SDP
import SIPCore
import SIPTransaction

/// One DTMF digit counted for `sbc_dtmf_events_total{trunk,direction,method}`: counted, never
/// logged above debug nor written to CDRs (digits may be card numbers).
public struct DTMFEventCount: Sendable, Equatable {
    public enum Direction: String, Sendable { case received, sent }
    public enum Method: String, Sendable { case rfc4733, info }
    public var trunk: String
    public var direction: Direction
    public var method: Method
}

/// DTMF per trunk (`trunks[].dtmf`, docs/MEDIA.md "DTMF"): RFC 4733 telephone-events and SIP
/// INFO converted between legs that want them differently.
///
/// - **Events to INFO**: the relay detects each event a party sends (`MediaEvent.telephoneEvent`,
///   once per event) and does not forward event packets to a leg that takes INFO; the B2BUA
///   sends that leg an INFO of its configured body type in the leg's own dialog (its own CSeq).
///   Whatever the far end answers (200 expected; 4xx, 5xx or no answer) never ends the call.
/// - **INFO to events**: an INFO with `application/dtmf-relay` or `application/dtmf` towards a
///   leg that takes RFC 4733 is answered 200 here (not relayed) and becomes a relay command; the
///   media worker injects the event into the stream towards that leg.
/// - **SDP**: a leg that takes RFC 4733 (or `both`) is offered telephone-event even when the
///   other side did not offer it, and the answer relayed back loses it again (an answer may not
///   hold a format its offer lacked).
/// - **Payload types**: each leg's telephone-event payload type comes from its own SDP; the relay
///   maps between them (`MediaLegDTMF`).
extension B2BUA {
    /// How digits must reach one leg, from its trunk's mode and what its SDP negotiated.
    enum DTMFDelivery: Equatable {
        /// `passthrough`: as the other side sent them.
        case asReceived
        case rfc4733
        case info
    }

    /// One side's telephone-event formats in the last completed offer/answer of stream `index`:
    /// what the SBC sent it (the payload type it sends events with) and what it sent (the one
    /// it takes events with).
    struct TelephoneEventFormats {
        var sent: MediaDescription.TelephoneEvent?
        var own: MediaDescription.TelephoneEvent?
        var packetTime: Duration?
    }

    static func telephoneEventFormats(of leg: CallLeg, stream index: Int) -> TelephoneEventFormats? {
        guard let negotiated = leg.negotiation.negotiated, index < negotiated.local.media.count,
              index < negotiated.remote.media.count
        else { return nil }
        let remote = negotiated.remote.media[index]
        return TelephoneEventFormats(sent: negotiated.local.media[index].telephoneEvent, own: remote.telephoneEvent,
                                     packetTime: remote.packetTime)
    }

    /// How digits reach `side` on stream `index` (`both`: RFC 4733 when its leg negotiated
    /// telephone-event, INFO otherwise).
    func dtmfDelivery(_ call: Call, to side: LegSide, stream index: Int) -> DTMFDelivery {
        switch call[side].trunk.dtmf.mode {
        case .passthrough: return .asReceived
        case .rfc4733: return .rfc4733
        case .info: return .info
        case .both: return Self.telephoneEventFormats(of: call[side], stream: index)?.own != nil ? .rfc4733 : .info
        }
    }

    /// The relay's view of one side of stream `index` (`MediaLegDTMF`).
    func relayDTMF(_ call: Call, side: LegSide, stream index: Int) -> MediaLegDTMF {
        guard let formats = Self.telephoneEventFormats(of: call[side], stream: index) else { return MediaLegDTMF() }
        var dtmf = MediaLegDTMF()
        dtmf.receivePayloadType = formats.sent?.payloadType
        if dtmfDelivery(call, to: side, stream: index) != .info { dtmf.sendPayloadType = formats.own?.payloadType }
        dtmf.clockRate = formats.own?.clockRate ?? formats.sent?.clockRate ?? 8000
        if let packetTime = formats.packetTime, packetTime >= .milliseconds(10), packetTime <= .milliseconds(50) {
            dtmf.interval = packetTime
        }
        return dtmf
    }

    /// Adds each side's `MediaLegDTMF` to the relay spec (called as the spec is built).
    func addTelephoneEvents(to spec: inout MediaSessionSpec, call: Call) {
        guard !call.carrierLegs.isEmpty else { return }
        for position in spec.streams.indices {
            let index = spec.streams[position].index
            spec.streams[position].a.dtmf = relayDTMF(call, side: .a, stream: index)
            spec.streams[position].b.dtmf = relayDTMF(call, side: .b, stream: index)
        }
    }

    // MARK: SDP

    /// An offer to a leg that takes RFC 4733 gets telephone-event in every audio stream that
    /// lacks it; an answer to a leg loses the telephone-event its own offer did not have, and
    /// keeps the one it offered when the answering leg takes DTMF as INFO (`info`, or `both`
    /// without telephone-event): the SBC then takes the offerer's events itself and converts
    /// them, so the offerer must be allowed to send them. `sdp` is the body crossing from
    /// `origin`, after the codec policies.
    func adjustTelephoneEvents(_ sdp: inout SessionDescription, call: Call, from origin: LegSide, offer: Bool) {
        let target = origin.other
        guard !call.carrierLegs.isEmpty else { return }
        if offer {
            guard call[target].trunk.dtmf.mode == .rfc4733 || call[target].trunk.dtmf.mode == .both else { return }
            for index in sdp.media.indices {
                if let added = sdp.media[index].addTelephoneEvent() {
                    logger.debug("telephone-event offered", metadata: metadata(call).merging([
                        "trunk": "\(call[target].trunk.name)", "payload_type": "\(added.payloadType)",
                    ]) { a, _ in a })
                }
            }
        } else {
            guard let offered = call[target].negotiation.latestRemote else { return }
            let converts = call[origin].trunk.dtmf.mode == .info || call[origin].trunk.dtmf.mode == .both
            for index in sdp.media.indices where index < offered.media.count {
                let offeredEvents = offered.media[index].telephoneEvent
                let answeredEvents = sdp.media[index].telephoneEvent
                if offeredEvents == nil, answeredEvents != nil {
                    sdp.media[index].removeTelephoneEvent()
                } else if let offeredEvents, answeredEvents == nil, converts {
                    sdp.media[index].addTelephoneEvent(preferred: offeredEvents)
                }
            }
        }
    }

    // MARK: Events from the relay

    /// A telephone-event one side's party sent (reported once by the relay when it ended).
    mutating func telephoneEventReceived(_ call: Call, side: LegSide, report: TelephoneEventReport, length: Duration,
                                         now: Duration) {
        countDTMF(call[side].trunk.name, .received, .rfc4733)
        let target = side.other
        logger.debug("DTMF received", metadata: metadata(call).merging([
            "from": "\(call[side].trunk.name)", "method": "rfc4733", "digit": "\(Self.digitText(report.event))",
            "duration_ms": "\(Self.milliseconds(length))", "ending": "\(report.ending)",
        ]) { a, _ in a })
        guard let stream = telephoneEventStream(call, from: side) else { return }
        switch dtmfDelivery(call, to: target, stream: stream) {
        case .info:
            guard report.event <= 16, canSendInDialog(call, to: target) else {
                logger.info("DTMF digit not sent as INFO (the dialog is not established)", metadata: metadata(call))
                return
            }
            sendDTMFInfo(call, to: target, digit: DTMFInfoBody(event: report.event, duration: length), now: now)
        case .asReceived, .rfc4733:
            // The relay forwarded the packets, with the target's payload type, if it takes any.
            if Self.telephoneEventFormats(of: call[target], stream: stream)?.own != nil {
                countDTMF(call[target].trunk.name, .sent, .rfc4733)
            }
        }
    }

    /// The first stream where `side` sends telephone-events (the one the relay reported from).
    private func telephoneEventStream(_ call: Call, from side: LegSide) -> Int? {
        guard let media = call.media else { return nil }
        return media.streams.indices.first { Self.telephoneEventFormats(of: call[side], stream: $0)?.sent != nil }
            ?? media.streams.indices.first
    }

    /// In-dialog requests may go to `side`: its dialog is confirmed and it is not a carrier leg
    /// being replaced.
    private func canSendInDialog(_ call: Call, to side: LegSide) -> Bool {
        guard call[side].remoteTag != nil else { return false }
        switch call.phase {
        case .established: return true
        case .failingOver: return side == .a
        case .proceeding, .cancelling, .terminating: return false
        }
    }

    /// An INFO carrying `digit` in `side`'s dialog, with its trunk's body type. Its answer is
    /// not waited for: a refusal or a timeout never touches the call.
    mutating func sendDTMFInfo(_ call: Call, to side: LegSide, digit: DTMFInfoBody, now: Duration) {
        let format: DTMFInfoBody.Format = call[side].trunk.dtmf.infoType == .dtmf ? .dtmf : .dtmfRelay
        var info = call[side].request(.info, branch: ids.branch(), maxForwards: settings.maxForwards)
        info.setBody(digit.body(as: format), contentType: format.rawValue)
        let peer = call[side].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .fireAndForget)
        handle(transactions.startClient(info, reliable: peer.isReliable, context: context, now: now), now: now)
        countDTMF(call[side].trunk.name, .sent, .info)
        logger.debug("DTMF sent as INFO", metadata: metadata(call).merging([
            "to": "\(call[side].trunk.name)", "digit": "\(Self.digitText(digit.event))", "type": "\(format.rawValue)",
        ]) { a, _ in a })
    }

    // MARK: INFO from a leg

    /// An in-dialog INFO with a DTMF body from `origin`: relayed as it is to a leg that takes it
    /// that way, otherwise answered 200 here and converted (INFO of the other body type, or an
    /// event the relay injects). False: not a DTMF INFO, or relayed (the caller goes on).
    mutating func dtmfInfoIntercepts(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide,
                                     now: Duration) -> Bool {
        guard request.method == .info, let digit = DTMFInfoBody(mediaType: request.mediaType, body: request.body),
              !call.carrierLegs.isEmpty
        else { return false }
        let target = origin.other
        countDTMF(call[origin].trunk.name, .received, .info)
        logger.debug("DTMF received", metadata: metadata(call).merging([
            "from": "\(call[origin].trunk.name)", "method": "info", "digit": "\(Self.digitText(digit.event))",
            "duration_ms": "\(digit.duration.map(Self.milliseconds).map(String.init) ?? "-")",
        ]) { a, _ in a })
        let stream = call.media.flatMap { media in
            media.streams.indices.first { relayDTMF(call, side: target, stream: $0).sendPayloadType != nil }
        }
        switch dtmfDelivery(call, to: target, stream: stream ?? 0) {
        case .asReceived:
            countDTMF(call[target].trunk.name, .sent, .info)
            return false
        case .info:
            let format: DTMFInfoBody.Format = call[target].trunk.dtmf.infoType == .dtmf ? .dtmf : .dtmfRelay
            if request.mediaType == format.rawValue {
                countDTMF(call[target].trunk.name, .sent, .info)
                return false
            }
            respond(to: request, key: key, status: 200, now: now)
            if canSendInDialog(call, to: target) { sendDTMFInfo(call, to: target, digit: digit, now: now) }
            return true
        case .rfc4733:
            respond(to: request, key: key, status: 200, now: now)
            guard let media = call.media, let stream, media.applied, canInject(call, towards: target) else {
                let why = call.media?.applied == true && canInject(call, towards: target)
                    ? "the leg negotiated no telephone-event" : "no media stream towards the leg"
                logger.notice("DTMF digit dropped", metadata: metadata(call).merging([
                    "trunk": "\(call[target].trunk.name)", "why": "\(why)",
                ]) { a, _ in a })
                return true
            }
            let side: MediaSide = target == .a ? .a : .b
            mediaCommands.append(MediaInstruction(
                command: .telephoneEvent(media.session, side: side, stream: stream, event: digit.event,
                                         duration: digit.duration ?? DTMFInfoBody.defaultDuration),
                worker: media.worker))
            countDTMF(call[target].trunk.name, .sent, .rfc4733)
            return true
        }
    }

    /// The relay's stream towards `side` belongs to the leg the call is on (not a carrier leg
    /// being replaced, whose state the relay still holds).
    private func canInject(_ call: Call, towards side: LegSide) -> Bool {
        if case .failingOver = call.phase { return side == .a }
        return true
    }

    // MARK: Counting

    mutating func countDTMF(_ trunk: String, _ direction: DTMFEventCount.Direction, _ method: DTMFEventCount.Method) {
        if dtmfCounts.count >= 4096 { dtmfCounts.removeFirst(dtmfCounts.count - 4095) }
        dtmfCounts.append(DTMFEventCount(trunk: trunk, direction: direction, method: method))
    }

    /// Hands over the digits counted since the last call (for `sbc_dtmf_events_total`).
    public mutating func takeDTMFCounts() -> [DTMFEventCount] {
        defer { dtmfCounts.removeAll(keepingCapacity: true) }
        return dtmfCounts
    }

    static func digitText(_ event: UInt8) -> String {
        DTMFInfoBody.signal(forEvent: event).map(String.init) ?? "event \(event)"
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int((duration / .milliseconds(1)).rounded())
    }
}
