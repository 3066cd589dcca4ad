import Logging
import Media
import SDP
import SIPCore
import SIPTransaction

/// Media anchoring: every SDP body that crosses the SBC is rewritten to name the relay's ports on
/// the receiving side, the relay is told where each side's media really is, and its events
/// (timeouts, failures, final statistics) come back here.
extension B2BUA {
    /// What became of one SDP body.
    enum MediaAnchorOutcome: Equatable {
        /// Rewritten for the relay (or there was nothing to anchor).
        case anchored
        /// Refused: answer the request with the refusal's status (488 no codec in common, 503 no ports).
        case refused(Refusal)
    }

    /// Which legs' offer/answer negotiators a body crossing the SBC moves. Normally both: the
    /// origin sent it, the target receives the rewritten copy. A mid-call failover replays the
    /// caller's last SDP to a new carrier leg (the caller sent nothing new: `targetOnly`), and
    /// takes the new carrier's answer without necessarily passing it on (`originOnly`).
    enum NegotiationRecord { case both, targetOnly, originOnly }

    /// A message carrying SDP from `origin` to the other leg. `offer` is RFC 3264's role of the
    /// body: offers get the trunks' codec policies and may add streams; answers only update
    /// where the answering side receives.
    mutating func anchorMedia(_ message: inout SIPMessage, call: Call, from origin: LegSide, offer: Bool,
                              record: NegotiationRecord = .both, now: Duration) -> MediaAnchorOutcome
    {
        guard !message.body.isEmpty else { return .anchored }
        guard let settings = settings.media else {
            // Without the relay the body crosses as it is; only a critical call, which may need
            // to offer it to another carrier, pays for parsing it.
            if call.route.critical, let sdp = try? SessionDescription(parsing: message.body) {
                recordNegotiation(call, from: origin, offer: offer, received: sdp, sent: sdp, record: record)
            }
            return .anchored
        }
        switch Self.bodyKind(of: message) {
        case .sdp:
            break
        case .other:
            return .anchored
        case .embeddedSDP:
            // SDP the relay cannot rewrite would leak addresses and bypass the relay.
            return .refused(Refusal(status: 415, reason: "Unsupported Media Type (SDP inside multipart is not relayed)"))
        }
        var sdp: SessionDescription
        do {
            sdp = try SessionDescription(parsing: message.body)
        } catch {
            return .refused(Refusal(status: 400, reason: "Bad Request (\(error))"))
        }
        let received = sdp
        let target = origin.other
        if offer {
            for trunk in [call[origin].trunk, call[target].trunk] {
                guard let policy = settings.codecPolicies[trunk.name] else { continue }
                if policy.apply(to: &sdp) == .noCommonCodec {
                    return .refused(Refusal(status: 488,
                                            reason: "Not Acceptable Here (no codec allowed by trunk \(trunk.name))"))
                }
            }
        }
        adjustTelephoneEvents(&sdp, call: call, from: origin, offer: offer)
        if call.media == nil { call.media = newCallMedia(call) }
        guard var media = call.media else { return .anchored }
        for (index, description) in sdp.media.enumerated() {
            if index == media.streams.count {
                guard offer, description.isRelayable else {
                    media.streams.append(CallMedia.Stream(ports: [:]))
                    continue
                }
                guard let a = ports.allocate(now: now, worker: media.worker) else {
                    call.media = media
                    return .refused(Self.portsExhausted)
                }
                guard let b = ports.allocate(now: now, worker: media.worker) else {
                    ports.release(a, now: now)
                    call.media = media
                    return .refused(Self.portsExhausted)
                }
                media.streams.append(CallMedia.Stream(ports: [.a: a, .b: b]))
            }
            media.streams[index].remote[origin] = Self.remote(of: description, in: sdp,
                                                              previous: media.streams[index].remote[origin])
            media.streams[index].carriesRTP = description.isRTP
        }
        if let refusal = secureStreams(&sdp, media: &media, call: call, from: origin, offer: offer) {
            call.media = media
            return .refused(refusal)
        }
        let zone = call[target].zone
        let addressType = zone.mediaAddressType
        let endpoints = sdp.media.indices.map { index -> SDPRelayEndpoint? in
            guard sdp.media[index].port != 0, let pair = media.streams[index].ports[target] else { return nil }
            return SDPRelayEndpoint(address: zone.mediaAdvertised, addressType: addressType, rtpPort: Int(pair.rtp),
                                    rtcpPort: Int(pair.rtcp))
        }
        SDPRelayRewriter.rewrite(&sdp, endpoints: endpoints)
        media.origins[target]?.stamp(&sdp)
        call.media = media
        message.setBody(sdp.serialized(), contentType: message.firstValue(.contentType) ?? "application/sdp")
        recordNegotiation(call, from: origin, offer: offer, received: received, sent: sdp, record: record)
        applyMedia(call)
        return .anchored
    }

    static let portsExhausted = Refusal(status: 503, reason: "Service Unavailable (media ports exhausted)")

    private func recordNegotiation(_ call: Call, from origin: LegSide, offer: Bool, received: SessionDescription,
                                   sent: SessionDescription, record: NegotiationRecord)
    {
        if record != .targetOnly {
            if offer { call[origin].negotiation.receivedOffer(received) } else { call[origin].negotiation.receivedAnswer(received) }
        }
        if record != .originOnly {
            let target = origin.other
            if offer { call[target].negotiation.sentOffer(sent) } else { call[target].negotiation.sentAnswer(sent) }
        }
    }

    enum BodyKind { case sdp, embeddedSDP, other }

    /// What a body is, for anchoring: SDP (also an untyped body that starts like SDP), SDP
    /// inside a multipart body (SIP-I's SDP + ISUP), or anything else (passed through).
    static func bodyKind(of message: SIPMessage) -> BodyKind {
        guard let type = message.mediaType else {
            return message.body.starts(with: Array("v=0".utf8)) ? .sdp : .other
        }
        if SessionDescription.looksLikeSDP(contentType: type) { return .sdp }
        guard type.lowercased().hasPrefix("multipart/") else { return .other }
        let marker = Array("application/sdp".utf8)
        let lowered = message.body.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        return lowered.indices.contains { lowered[$0...].starts(with: marker) } ? .embeddedSDP : .other
    }

    /// SDP in a response or an ACK cannot be refused with a status of its own: a body the SBC
    /// cannot anchor is dropped rather than relayed, so the far side's addresses never leak.
    mutating func anchorResponseMedia(_ message: inout SIPMessage, call: Call, from origin: LegSide, offer: Bool,
                                      record: NegotiationRecord = .both, now: Duration)
    {
        guard case .refused(let refusal) = anchorMedia(&message, call: call, from: origin, offer: offer, record: record,
                                                       now: now)
        else { return }
        let reason = refusal.reason
        logger.error("SDP not relayed", metadata: metadata(call).merging([
            "from": "\(call[origin].trunk.name)", "why": "\(reason)",
        ]) { a, _ in a })
        message.setBody([], contentType: nil)
    }

    /// The callee's 2xx carried an offer (the caller's INVITE had none) that the SBC cannot relay:
    /// no codec its trunks allow, a body it cannot parse, no ports. A 2xx cannot be refused, so
    /// RFC 3261 13.2.2.4 applies: ACK it with an answer that declines every stream, then BYE.
    /// Relaying the 2xx without its offer instead would leave the caller with an answered call
    /// and no media. The attempt then fails: like a trunk skipped for its codecs on an early
    /// offer, the next candidate gets the call (except when ports ran out, which no other trunk
    /// changes), and the trunk's health is not charged, since it answered. The caller, if no
    /// trunk is left, gets 488 for codecs, 503 for ports, and 502 for a body it never sent.
    mutating func refuseOfferInAnswer(_ response: SIPMessage, call: Call, side: LegSide, refusal: Refusal,
                                      now: Duration)
    {
        let status = refusal.status ?? 500, reason = refusal.reason
        guard let invite = call.pendingInvite?.clientRequest else { return }
        acknowledgeUnwantedAnswer(response, with: makeAckDecliningOffer(of: response, to: invite, call: call, side: side),
                                  to: call[side].peer)
        logger.warning("offer in answer refused", metadata: metadata(call).merging([
            "trunk": "\(call[side].trunk.name)", "status": "\(status)", "why": "\(reason)",
        ]) { a, _ in a })
        // The carrier gets a fixed text: the detailed reason may quote its SDP and names our trunks.
        let text = switch status {
        case 488: "Offer not acceptable: no allowed codec"
        case 503: "Offer not acceptable: no media ports left"
        default: "Offer not acceptable: SDP not relayable"
        }
        sendBye(call: call.handle, side: side, reason: "SIP;cause=\(status);text=\"\(text)\"", now: now)
        attemptFailed(call, status: status == 400 || status == 415 ? 502 : status,
                      reason: "Offer in 200 OK refused: \(reason)", outcome: .rejected, trigger: status != 503,
                      chargesTrunk: false, response: nil, now: now)
    }

    /// The ACK for a 2xx the SBC will not keep whose body is an offer: it answers by declining
    /// every stream (RFC 3264 §6). A body that is not SDP the SBC can parse gets no answer.
    mutating func makeAckDecliningOffer(of response: SIPMessage, to invite: SIPMessage, call: Call,
                                        side: LegSide) -> SIPMessage
    {
        var ack = makeAck(for: invite, on: call, side: side)
        guard Self.bodyKind(of: response) == .sdp, let offer = try? SessionDescription(parsing: response.body) else {
            return ack
        }
        var answer = SessionDescription.rejecting(offer)
        var origin = call.media?.origins[side] ?? newOrigin(in: call[side].zone)
        origin.stamp(&answer)
        ack.setBody(answer.serialized(), contentType: "application/sdp")
        return ack
    }

    /// An offer was refused before it crossed: the call's media is put back as it was, and
    /// ports taken for streams the offer would have added go back to the pool.
    mutating func revertMedia(of call: Call, to before: CallMedia?, now: Duration) {
        let kept = Set(before?.allPorts ?? [])
        for pair in call.media?.allPorts ?? [] where !kept.contains(pair) { ports.release(pair, now: now) }
        if before == nil, let created = call.media { mediaSessions[created.session] = nil }
        call.media = before
        rollbackNegotiation(of: call)
    }

    /// A refused offer leaves both dialogs' offer/answer state as it was (RFC 3264 §8).
    func rollbackNegotiation(of call: Call) {
        call.a.negotiation.rollback()
        if !call.carrierLegs.isEmpty { call[.b].negotiation.rollback() }
    }

    /// The in-dialog request on `serverKey` got its final answer: an offer it carried is settled
    /// (2xx: the answer was anchored) or rejected, and then the session stays as it was.
    mutating func settleOffer(of call: Call, serverKey: TransactionKey, accepted: Bool) {
        guard let offer = call.pendingOffer, offer.serverKey == serverKey else { return }
        call.pendingOffer = nil
        if !accepted { rollbackNegotiation(of: call) }
        guard !accepted, let before = offer.before, var media = call.media else { return }
        // Streams the offer added keep their ports until the call ends (they are still in the
        // SDP both sides hold); what the sides signalled reverts.
        for index in before.streams.indices {
            media.streams[index].remote = before.streams[index].remote
            media.streams[index].carriesRTP = before.streams[index].carriesRTP
            media.streams[index].security = before.streams[index].security
        }
        call.media = media
        applyMedia(call)
    }

    /// Where one side receives a stream and whether it sends, from its own SDP. Old-style hold
    /// (`c=0.0.0.0`) keeps the previous address, so that the holder's music on hold still
    /// latches under `latching: signalled`.
    static func remote(of description: MediaDescription, in sdp: SessionDescription,
                       previous: CallMedia.Remote? = nil) -> CallMedia.Remote {
        let host = description.effectiveConnection(session: sdp)?.address
        let unspecified = host == nil || host == "0.0.0.0" || host == "::"
        let port = UInt16(exactly: description.port) ?? 0
        let direction = description.direction(session: sdp)
        if unspecified, port != 0, var kept = previous, kept.rtp != nil {
            kept.sends = direction.sends
            kept.holding = true
            return kept
        }
        let rtp = unspecified || port == 0 ? nil : host.map { MediaAddress(host: $0, port: port) }
        var rtcp: MediaAddress?
        if let rtp {
            if let attribute = description.rtcp, let rtcpPort = UInt16(exactly: attribute.port) {
                rtcp = MediaAddress(host: attribute.connection?.address ?? rtp.host, port: rtcpPort)
            } else if rtp.port < UInt16.max {
                rtcp = MediaAddress(host: rtp.host, port: rtp.port + 1)
            }
        }
        let clockRate = description.formats.first.flatMap { description.codec(forPayloadType: $0)?.clockRate } ?? 8000
        return CallMedia.Remote(rtp: rtp, rtcp: rtcp, offersRTCPMux: description.rtcpMux,
                                sends: rtp != nil && direction.sends, holding: unspecified || direction != .sendrecv,
                                clockRate: clockRate)
    }

    private mutating func newCallMedia(_ call: Call) -> CallMedia? {
        guard let settings = settings.media else { return nil }
        let session = MediaSessionID(rawValue: nextMediaSession)
        nextMediaSession &+= 1
        mediaSessions[session] = call.handle
        let origins: SidePair<SDPOriginState> = [.a: newOrigin(in: call.a.zone), .b: newOrigin(in: (call.carrierLegs.last ?? call.a).zone)]
        return CallMedia(session: session, worker: Int(session.rawValue % UInt64(settings.workers)), origins: origins)
    }

    /// A fresh SDP session (our o= line) for a dialog in `zone`.
    private mutating func newOrigin(in zone: ZoneIdentity) -> SDPOriginState {
        SDPOriginState(sessionID: ids.sdpSessionID(), address: zone.mediaAdvertised, addressType: zone.mediaAddressType)
    }

    /// Tells the relay the call's current media state.
    /// While a carrier leg is being replaced the relay keeps the old one's state: the caller's
    /// media keeps its path, and the new leg's ports go live only once it answers.
    mutating func applyMedia(_ call: Call) {
        guard let settings = settings.media, var media = call.media else { return }
        if case .failingOver = call.phase { return }
        var spec = media.spec(logID: call.logID, zones: (call.a.zone.mediaBind, (call.carrierLegs.last ?? call.a).zone.mediaBind),
                              timeouts: settings.timeouts)
        addTelephoneEvents(to: &spec, call: call)
        setLatching(&spec, call: call)
        media.applied = true
        call.media = media
        mediaCommands.append(MediaInstruction(command: .apply(spec), worker: media.worker))
    }

    /// A new attempt goes to another carrier: what the previous one signalled no longer holds
    /// (the relay must not send the caller's media to it), and the new dialog gets an SDP session
    /// of its own, named after its zone's media address. A leg replacing one that died mid-call
    /// also gets ports of its own: the dead leg's stay with the relay (and its late packets with
    /// them) until the new leg answers, then retire.
    mutating func startNewBLeg(of call: Call, now: Duration) {
        guard var media = call.media, let zone = call.carrierLegs.last?.zone else { return }
        let replacing = call.isAnswered
        for index in media.streams.indices {
            media.streams[index].remote[.b] = nil
            // A new carrier leg gets keys of its own; the caller's keep theirs (and their ROC).
            media.streams[index].security[.b] = nil
            guard replacing, let old = media.streams[index].ports[.b],
                  let fresh = ports.allocate(now: now, worker: media.worker)
            else { continue }
            media.retiring.append(old)
            media.streams[index].ports[.b] = fresh
        }
        media.origins[.b] = newOrigin(in: zone)
        call.media = media
    }

    /// The replacement leg answered and the relay was told: the dead leg's ports go back.
    mutating func retireReplacedPorts(of call: Call, now: Duration) {
        guard var media = call.media, !media.retiring.isEmpty else { return }
        for pair in media.retiring { ports.release(pair, now: now) }
        media.retiring.removeAll()
        call.media = media
    }

    /// The call is answered: silence from either side counts from now on.
    mutating func armMedia(_ call: Call) {
        guard call.media != nil, call.media?.armed == false else { return }
        call.media?.armed = true
        applyMedia(call)
    }

    /// The call ended: the relay closes its sockets and answers with the statistics, which
    /// complete the call's summary (held back until then; see `mediaEvent`).
    mutating func releaseMedia(of call: Call, summary: CallSummary, now: Duration) -> CallSummary? {
        guard let media = call.media else { return summary }
        for pair in media.allPorts + media.retiring { ports.release(pair, now: now) }
        guard media.applied else {
            mediaSessions[media.session] = nil
            return summary
        }
        mediaCommands.append(MediaInstruction(command: .destroy(media.session), worker: media.worker))
        awaitingMediaStatistics[media.session] = AwaitedStatistics(summary: summary, deadline: now + Self.statisticsWait)
        return nil
    }

    /// How long a finished call's summary waits for the relay's statistics before it is
    /// recorded without them (the relay answers within a tick; this only guards a stuck worker).
    static let statisticsWait: Duration = .seconds(5)

    /// An event from a media worker.
    public mutating func mediaEvent(_ event: MediaEvent, now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        switch event {
        case .latched(let session, let side, let source):
            if let handle = mediaSessions[session], let call = calls[handle] {
                logger.debug("media latched", metadata: metadata(call).merging([
                    "side": "\(call[LegSide(side)].trunk.name)", "source": "\(source)",
                ]) { a, _ in a })
                if side == .b { newCarrierMediaArrived(call, now: now) }
                noteLatched(call, side: LegSide(side), source: source)
            }
        case .timeout(let session, let side, let silence, let unexpected):
            if let handle = mediaSessions[session], let call = calls[handle], call.isAnswered {
                mediaTimedOut(call, silentSide: LegSide(side), silence: silence, unexpected: unexpected, now: now)
            }
        case .unreachable(let session, let side, let errors):
            if let handle = mediaSessions[session], let call = calls[handle] {
                carrierMediaUnreachable(call, side: LegSide(side), errors: errors, now: now)
            }
        case .telephoneEvent(let session, let side, let report, let length):
            if let handle = mediaSessions[session], let call = calls[handle] {
                telephoneEventReceived(call, side: LegSide(side), report: report, length: length, now: now)
            }
        case .srtpPositions(let session, let stream, let side, let positions, let keys):
            if let handle = mediaSessions[session], let call = calls[handle] {
                srtpPositionsReported(call, stream: stream, side: LegSide(side), positions: positions, keys: keys)
            }
        case .failed(let session, let reason, let port):
            if let port {
                // Something else holds it: never hand it out again (it would fail call after call).
                ports.quarantine(MediaPortPair(rtp: port & ~1))
                logger.error("media port quarantined", metadata: ["port": "\(port)", "error": "\(reason)"])
            }
            if let handle = mediaSessions[session], let call = calls[handle] {
                logger.error("media relay failed", metadata: metadata(call).merging(["error": "\(reason)"]) { a, _ in a })
                terminate(call: handle, reason: "SIP;cause=500;text=\"Media relay failure\"", now: now)
            }
        case .closed(let session, let statistics):
            mediaSessions[session] = nil
            if var awaited = awaitingMediaStatistics.removeValue(forKey: session) {
                awaited.summary.media = statistics
                finishedCalls.append(awaited.summary)
            }
        }
        return outbox
    }

    /// No media from one side for the configured time. A critical call's silent carrier leg is
    /// replaced; otherwise the call ends with BYE to both legs and the `media_timeout` disposition.
    mutating func mediaTimedOut(_ call: Call, silentSide side: LegSide, silence: Duration,
                                unexpected: UnexpectedMediaSource? = nil, now: Duration) {
        if side == .b, case .established(let established) = call.phase,
           established.reorigination?.settings.onMediaTimeout == true
        {
            failOverMidCall(call, trigger: .mediaTimeout, holding: nil, mediaStoppedAt: now - silence, now: now)
            return
        }
        if side == .b, case .failingOver = call.phase { return }
        let party = call[side].trunk.name
        let seconds = silence.components.seconds
        // Packets that did arrive from an unexpected source say why the side looked silent.
        let cause = Self.mediaTimeoutText(party: party, seconds: seconds, unexpected: unexpected)
        logger.warning("media timeout", metadata: metadata(call).merging([
            "silent_side": "\(party)", "silence_s": "\(seconds)", "cause": "\(cause)",
        ]) { a, _ in a })
        terminate(call: call.handle, reason: "SIP;cause=408;text=\"\(cause)\"", disposition: .mediaTimeout, now: now)
    }

    /// Summaries whose statistics never came (a stuck or stopped relay) are recorded without.
    mutating func expireAwaitedStatistics(now: Duration, all: Bool = false) {
        guard !awaitingMediaStatistics.isEmpty else { return }
        for (session, awaited) in awaitingMediaStatistics where all || awaited.deadline <= now {
            awaitingMediaStatistics[session] = nil
            mediaSessions[session] = nil
            finishedCalls.append(awaited.summary)
        }
    }

    /// Hands over the relay commands produced since the last call, in order.
    public mutating func takeMediaInstructions() -> [MediaInstruction] {
        defer { mediaCommands.removeAll(keepingCapacity: true) }
        return mediaCommands
    }

    /// Ended calls whose CDR still waits for the relay's statistics.
    public var awaitedMediaStatistics: Int { awaitingMediaStatistics.count }

    /// Records every call summary still waiting for relay statistics (at shutdown).
    public mutating func flushMediaStatistics(now: Duration) {
        expireAwaitedStatistics(now: now, all: true)
    }
}

/// A relay command and the worker that owns the session.
public struct MediaInstruction: Sendable {
    public var command: MediaCommand
    public var worker: Int
}

/// A finished call's summary held until the relay reports the call's media statistics.
struct AwaitedStatistics: Sendable {
    var summary: CallSummary
    let deadline: Duration
}
