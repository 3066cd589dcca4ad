import CSBCLinux
import Logging
import Media
import SRTP

/// Events being injected towards one party (a leg of the leg table).
struct RelayInjection {
    var leg: Int32
    var injector: TelephoneEventInjector
    /// What the injected packets use while the stream towards the party has no source yet (the
    /// other side sent nothing): an SSRC, sequence and timestamp space of the relay's own.
    var ownSSRC: UInt32
    var ownSequence: UInt16
    var ownTimestamp: UInt32
    var createdAt: UInt64
}

/// RFC 4733 telephone-events on the worker (docs/MEDIA.md, "DTMF").
///
/// - **Detection**: a side whose `MediaLegDTMF.receivePayloadType` is set has its packets of
///   that type parsed (after SRTP authentication) by the leg's `TelephoneEventDetector`; each
///   event that ends is reported once (`MediaEvent.telephoneEvent`). The packet loop pays one
///   payload-type compare per RTP packet for this; only event packets take the detour.
/// - **Relaying**: an event packet goes on to the other side's party with that party's payload
///   type (`sendPayloadType`), or, when it takes none (SIP INFO, or no telephone-event
///   negotiated), is suppressed; the party's sequence numbers then close the gap.
/// - **Injection**: a `.telephoneEvent` command queues a digit on the leg's
///   `TelephoneEventInjector`, whose packets the run loop sends when due (the epoll timeout
///   covers the next deadline: nothing sleeps, nothing waits for the digit to finish).
///
/// Keeping the receiver's view consistent: injected packets use the SSRC of the stream the relay
/// forwards to that party, the sequence number after the highest it relayed and the stream's
/// current timestamp (its last packet's, plus the time since). Every packet relayed to the party
/// afterwards has its sequence number moved on by the number injected (`RelayLeg.sequenceOffset`),
/// and suppressed event packets move it back, so the party sees one gapless sequence whatever
/// the relay added or held back. Audio keeps flowing during an injected event (RFC 4733 §2.6
/// allows both; the digit arrived as INFO, so the audio carries no tone to clash with it).
extension RelayWorker {
    // MARK: - Configuration

    /// Copies the DTMF part of a leg's spec into the leg (creation and updates).
    static func setTelephoneEvents(_ leg: inout RelayLeg, _ dtmf: MediaLegDTMF) {
        leg.eventReceivePT = dtmf.receivePayloadType.map { $0 & 0x7F } ?? RelayLeg.noPayloadType
        leg.eventSendPT = dtmf.sendPayloadType.map { $0 & 0x7F } ?? RelayLeg.noPayloadType
        leg.eventClockRate = dtmf.clockRate == 0 ? 8000 : dtmf.clockRate
    }

    /// Forgets events queued towards leg `index` (its party takes none any more, or it is freed).
    func cancelInjection(leg index: Int32) {
        guard !injections.isEmpty else { return }
        injections.removeAll { $0.leg == index }
        scheduleInjections()
    }

    /// The `.telephoneEvent` command: queues a digit towards `side` of stream `stream`.
    func injectTelephoneEvent(_ id: MediaSessionID, side: MediaSide, stream: Int, event: UInt8, duration: Duration) {
        guard let slot = sessionSlots[id], let session = sessions[Int(slot)],
              let entry = session.streams.first(where: { $0.index == stream })
        else { return }
        let index = 2 * entry.slot + Int32(side.rawValue)
        let leg = legs.leg(index)
        guard leg.pointee.eventSendPT != RelayLeg.noPayloadType else {
            session.logger.info("telephone-event not injected: the side negotiated none", metadata: ["side": "\(side)"])
            return
        }
        let now = csbc_monotonic_now_ns()
        let position: Int
        if let existing = injections.firstIndex(where: { $0.leg == index }) {
            position = existing
        } else {
            var random = SystemRandomNumberGenerator()
            injections.append(RelayInjection(
                leg: index,
                injector: TelephoneEventInjector(interval: entry.spec[side].dtmf.interval,
                                                 clockRate: leg.pointee.eventClockRate),
                ownSSRC: random.next(), ownSequence: random.next(), ownTimestamp: random.next(), createdAt: now))
            position = injections.count - 1
        }
        if !injections[position].injector.enqueue(event: event, duration: duration, now: now) {
            session.logger.warning("telephone-event queue full, digit dropped", metadata: ["side": "\(side)"])
        }
        scheduleInjections()
    }

    private func scheduleInjections() {
        nextInjection = injections.lazy.compactMap(\.injector.nextDeadline).min() ?? .max
    }

    /// Sends every injected packet due at `now` (from the run loop, once `nextInjection` passed).
    func runInjections(now: UInt64) {
        var position = 0
        while position < injections.count {
            let index = injections[position].leg
            let leg = legs.leg(index)
            guard Int(index) < legs.legLimit, leg.pointee.session >= 0 else {
                injections.remove(at: position)
                continue
            }
            while let packet = injections[position].injector.next(now: now,
                                                                     streamTimestamp: streamTimestamp(towards: index, now: now,
                                                                                                     injection: injections[position])) {
                sendInjected(packet, towards: index, injection: &injections[position])
            }
            if injections[position].injector.isIdle {
                injections.remove(at: position)
            } else {
                position += 1
            }
        }
        scheduleInjections()
    }

    /// The timestamp of the stream relayed to leg `index`'s party at `now`: its source's last
    /// packet's timestamp plus the time since, else the relay's own clock.
    private func streamTimestamp(towards index: Int32, now: UInt64, injection: RelayInjection) -> UInt32 {
        let source = legs.leg(index ^ 1)
        let clockRate = source.pointee.clockRate
        if let timestamp = source.pointee.receive.timestamp(
            atArrival: RTPReceiveStatistics.arrivalUnits(nanoseconds: now, clockRate: clockRate)) {
            return timestamp
        }
        let elapsed = (now &- injection.createdAt) / 1_000_000 * UInt64(clockRate) / 1000
        return injection.ownTimestamp &+ UInt32(truncatingIfNeeded: elapsed)
    }

    private func sendInjected(_ packet: TelephoneEventInjector.Packet, towards index: Int32,
                              injection: inout RelayInjection) {
        let leg = legs.leg(index)
        let destination = legs.rtpDestination(towards: index)
        guard destination.pointee.address_length != 0, leg.pointee.eventSendPT != RelayLeg.noPayloadType else {
            return   // nowhere to send yet: no sequence number is spent
        }
        let ssrc: UInt32
        let sequence: UInt16
        if let source = legs.leg(index ^ 1).pointee.receive.lastSource {
            ssrc = source.ssrc
            sequence = source.sequence &+ 1 &+ leg.pointee.sequenceOffset
            leg.pointee.sequenceOffset &+= 1
        } else {
            ssrc = injection.ownSSRC
            injection.ownSequence &+= 1
            sequence = injection.ownSequence
        }
        let buffer = injectBuffer
        buffer.storeBytes(of: 0x80, as: UInt8.self)
        buffer.storeBytes(of: (packet.marker ? 0x80 : 0) | leg.pointee.eventSendPT, toByteOffset: 1, as: UInt8.self)
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: 2, as: UInt16.self)
        buffer.storeBytes(of: packet.timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
        packet.payload.write(to: buffer + 12)
        var length = 12 + TelephoneEventPayload.length
        if leg.pointee.isSecure {
            guard let context = leg.pointee.srtpOutbound?.takeUnretainedValue() else {
                leg.pointee.srtpErrors &+= 1
                return
            }
            do throws(SRTPPacketError) {
                length = try context.protectRTP(UnsafeMutableRawBufferPointer(start: buffer, count: RelayWorker.slotBytes),
                                                length: length)
            } catch {
                leg.pointee.srtpErrors &+= 1
                return
            }
        }
        if csbc_relay_send_one(destination, buffer, length) >= 0 {
            leg.pointee.eventPacketsInjected &+= 1
        }
    }

    // MARK: - Packets

    /// The packet loop's detour for an RTP packet (in the clear, authenticated, admitted by the
    /// latch) that is an event of `leg`'s party or goes to a party whose sequence numbers the
    /// relay moved: events are detected and relayed or suppressed, sequence numbers moved on.
    /// False: do not relay it. `offset` is the caller's copy of `peer`'s offset, kept current.
    @inline(__always)
    func prepareTowardsPeer(_ packet: UnsafeMutablePointer<csbc_relay_packet>, from leg: UnsafeMutablePointer<RelayLeg>,
                            to peer: UnsafeMutablePointer<RelayLeg>, offset: inout UInt16, now: UInt64) -> Bool {
        let data = packet.pointee.data!
        if data[1] & 0x7F == leg.pointee.eventReceivePT {
            let relayed = telephoneEventPacket(packet, from: leg, to: peer, now: now)
            offset = peer.pointee.sequenceOffset
            guard relayed else { return false }
        }
        if offset != 0 {
            let sequence = (UInt16(data[2]) << 8 | UInt16(data[3])) &+ offset
            data[2] = UInt8(sequence >> 8)
            data[3] = UInt8(sequence & 0xFF)
        }
        return true
    }

    /// One telephone-event packet from `leg`'s party: fed to the leg's detector (whose ended
    /// events go to signalling), then relayed with the peer's payload type, or suppressed.
    @inline(never)
    func telephoneEventPacket(_ packet: UnsafeMutablePointer<csbc_relay_packet>, from leg: UnsafeMutablePointer<RelayLeg>,
                              to peer: UnsafeMutablePointer<RelayLeg>, now: UInt64) -> Bool {
        let bytes = UnsafeRawBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.length))
        if let body = TelephoneEventPayload.payload(ofRTP: bytes), let payload = TelephoneEventPayload(payload: body) {
            let wasOpen = leg.pointee.detector.isOpen
            let timestamp = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let (first, second) = leg.pointee.detector.receive(payload, timestamp: timestamp, now: now)
            if let first { report(first, from: leg) }
            if let second { report(second, from: leg) }
            if !wasOpen, leg.pointee.detector.isOpen { openEventLegs.append(Int32(leg - legs.legs)) }
        }
        let sendPT = peer.pointee.eventSendPT
        guard sendPT != RelayLeg.noPayloadType else {
            leg.pointee.eventPacketsSuppressed &+= 1
            peer.pointee.sequenceOffset &-= 1
            return false
        }
        let data = packet.pointee.data!
        if data[1] & 0x7F != sendPT { data[1] = (data[1] & 0x80) | sendPT }
        return true
    }

    private func report(_ report: TelephoneEventReport, from leg: UnsafeMutablePointer<RelayLeg>) {
        guard leg.pointee.session >= 0, let session = sessions[Int(leg.pointee.session)] else { return }
        let length = report.length(clockRate: leg.pointee.eventClockRate)
        // The digit itself stays out of the worker's log: signalling logs it at debug level.
        session.logger.debug("telephone-event ended", metadata: [
            "side": "\(leg.pointee.side)", "duration_ms": "\(length.components.seconds * 1000 + length.components.attoseconds / 1_000_000_000_000_000)",
            "ending": "\(report.ending)",
        ])
        events(.telephoneEvent(session.id, side: leg.pointee.side, report, length: length))
    }

    /// Ends events whose end packets never came (from the tick).
    func expireTelephoneEvents(now: UInt64) {
        guard !openEventLegs.isEmpty else { return }
        var position = 0
        while position < openEventLegs.count {
            let index = openEventLegs[position]
            let leg = legs.leg(index)
            guard Int(index) < legs.legLimit, leg.pointee.session >= 0, leg.pointee.detector.isOpen else {
                openEventLegs.remove(at: position)
                continue
            }
            if let ended = leg.pointee.detector.expire(now: now) {
                report(ended, from: leg)
            }
            if leg.pointee.detector.isOpen {
                position += 1
            } else {
                openEventLegs.remove(at: position)
            }
        }
    }
}
