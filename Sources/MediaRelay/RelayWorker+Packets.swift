import CSBCLinux
import Media

extension RelayWorker {
    /// Drains one readable socket of `leg`: recvmmsg a batch, decide each packet's fate, sendmmsg
    /// the survivors from the other side's socket(s) out of the same buffers, and repeat until a
    /// batch comes back short, or `maxBatchesPerWake` batches were taken: a flooded port must not
    /// starve the worker's other sessions, and level-triggered epoll reports it again.
    ///
    /// Everything the loop touches is reached through pointers passed in or `let` properties (no
    /// class `var` access, so no exclusivity checks or reference counting per packet); the helpers
    /// it calls are inlinable value types, and the only call that is not inlined is `latched`, once
    /// per latch. Counters go into the leg, once per batch.
    ///
    /// SRTP: a stream where either side is secure takes `admitSRTP` instead of the plain latch
    /// check (unprotect, protect, then latch); a plain stream pays that one branch. `peer` is the
    /// other side's leg, whose outbound context protects what goes there.
    @inline(__always)
    func relayReadable(leg: UnsafeMutablePointer<RelayLeg>, index: Int32, isRTCPSocket: Bool,
                       peer: UnsafeMutablePointer<RelayLeg>, peerRTP: UnsafePointer<csbc_relay_destination>) {
        let srtp = leg.pointee.streamHasSRTP
        let fd = isRTCPSocket ? leg.pointee.rtcpFD : leg.pointee.rtpFD
        let batch = self.batch
        let packets = self.packets
        let batchSize = RelayWorker.batchSize
        var batches = 0

        while batches < RelayWorker.maxBatchesPerWake {
            batches += 1
            let count = Int(csbc_relay_recv(fd, batch))
            guard count > 0 else {
                // With IP_RECVERR an ICMP error that arrived after epoll_wait fails one receive
                // (and is cleared by it) while datagrams may still be queued: take the error
                // queue and receive again rather than leave them until the next wake-up.
                if count < 0, csbc_is_unreachable_errno(csbc_errno()) != 0 {
                    takeSocketErrors(leg: index, isRTCPSocket: isRTCPSocket)
                    continue
                }
                break
            }
            let now = csbc_monotonic_now_ns()
            let arrival = RTPReceiveStatistics.arrivalUnits(nanoseconds: now, clockRate: leg.pointee.clockRate)
            // Telephone-events (RelayWorker+DTMF.swift): this side's event payload type, and how
            // far the relay moved the peer's sequence numbers; read once per batch.
            let eventPT = leg.pointee.eventReceivePT
            var offset = peer.pointee.sequenceOffset
            let suppressedBefore = leg.pointee.eventPacketsSuppressed
            var sawRTP = false
            var rtcp: UInt64 = 0
            var bytesIn: UInt64 = 0
            for i in 0..<count {
                let packet = packets + i
                bytesIn &+= UInt64(packet.pointee.length)
                let outcome = admit(packet, leg: leg, index: index, isRTCPSocket: isRTCPSocket, peer: peer,
                                    peerRTP: peerRTP, srtp: srtp, eventPT: eventPT, offset: &offset,
                                    arrival: arrival, now: now)
                if outcome & Outcome.sawRTP != 0 { sawRTP = true }
                if outcome & Outcome.rtcp != 0 { rtcp &+= 1 }
            }
            var bytesOut: UInt64 = 0
            let sent = UInt64(csbc_relay_send(batch, Int32(count), &bytesOut))
            leg.pointee.packetsReceived &+= UInt64(count)
            leg.pointee.bytesReceived &+= bytesIn
            leg.pointee.packetsForwarded &+= sent
            leg.pointee.bytesForwarded &+= bytesOut
            // Event packets suppressed on purpose (the peer takes DTMF as SIP INFO) are not drops.
            leg.pointee.packetsDropped &+= UInt64(count) &- sent &- (leg.pointee.eventPacketsSuppressed &- suppressedBefore)
            leg.pointee.rtcpPackets &+= rtcp
            if sawRTP { leg.pointee.lastRTPNanoseconds = now }
            if count < batchSize { break }
        }
    }

    /// What `admit` made of a packet, for the counters its caller keeps.
    enum Outcome {
        /// RTP (or a non-RTP stream's packet) accepted: the leg's media is alive.
        static let sawRTP: UInt8 = 1
        /// RTCP accepted.
        static let rtcp: UInt8 = 2
        /// Set by the lookup path: an event packet suppressed on purpose (not a drop).
        static let suppressed: UInt8 = 4
    }

    /// Decides one received packet's fate for `leg` (whose socket `isRTCPSocket` says it came to):
    /// validation, latching, SRTP, telephone-events, receive statistics; points it at the peer's
    /// destination when it is to be relayed. The same for both socket layouts.
    @inline(__always)
    func admit(_ packet: UnsafeMutablePointer<csbc_relay_packet>, leg: UnsafeMutablePointer<RelayLeg>, index: Int32,
               isRTCPSocket: Bool, peer: UnsafeMutablePointer<RelayLeg>,
               peerRTP: UnsafePointer<csbc_relay_destination>, srtp: Bool, eventPT: UInt8,
               offset: inout UInt16, arrival: UInt32, now: UInt64) -> UInt8 {
        let peerRTCP = peerRTP + 1
        let length = Int(packet.pointee.length)
        guard packet.pointee.truncated == 0 else { return 0 }
        let source = MediaEndpoint(high: packet.pointee.source_high, low: packet.pointee.source_low,
                                   port: packet.pointee.source_port)
        let bytes = UnsafeRawBufferPointer(start: packet.pointee.data, count: length)
        guard let view = leg.pointee.carriesRTP ? RTPPacketView(bytes) : nil else {
            // Not RTP: relayed opaquely on a non-RTP stream (T.38), or when it is DTLS on
            // the RTP port of an RTP stream (RFC 7983 demultiplexing); dropped otherwise.
            let opaque = !leg.pointee.carriesRTP || (length > 0 && (20...63).contains(bytes[0]))
            guard opaque, !isRTCPSocket else { return 0 }
            let verdict = leg.pointee.rtpLatch.admit(source)
            if verdict == .rejected { return 0 }
            if verdict == .latched { latched(leg: index, rtcp: false) }
            if peerRTP.pointee.address_length != 0 { packet.pointee.destination = peerRTP }
            return leg.pointee.carriesRTP ? 0 : Outcome.sawRTP
        }
        let isRTP = view.kind == .rtp
        // RTP has no business on an RTCP port, nor RTCP on the RTP port of a leg that
        // does not mux: drop them before they could latch a port to the wrong source.
        if isRTCPSocket ? isRTP : (!isRTP && !leg.pointee.isRTCPMuxed) { return 0 }
        // As received: a sequence number moved for the peer must not reach the statistics.
        let sequence = view.sequenceNumber, timestamp = view.timestamp, ssrc = view.ssrc
        // An event of this side, or a peer whose sequence numbers moved: the detour.
        let prepare = isRTP && (view.payloadType == eventPT || offset != 0)
        var forward = true
        let verdict = srtp
            ? RelayWorker.admitSRTP(packet, from: leg, to: peer, source: source, isRTP: isRTP,
                                    rtcpLatch: isRTCPSocket, destination: isRTP ? peerRTP : peerRTCP,
                                    prepare: prepare, worker: self, offset: &offset, forward: &forward, now: now)
            : isRTCPSocket ? leg.pointee.rtcpLatch.admit(source) : leg.pointee.rtpLatch.admit(source)
        if verdict != .accepted {
            if verdict == .rejected { return 0 }
            latched(leg: index, rtcp: isRTCPSocket)
        }
        if isRTP {
            if prepare, !srtp { forward = prepareTowardsPeer(packet, from: leg, to: peer, offset: &offset, now: now) }
            leg.pointee.receive.record(sequence: sequence, timestamp: timestamp, ssrc: ssrc, arrival: arrival)
            if forward, peerRTP.pointee.address_length != 0 { packet.pointee.destination = peerRTP }
            return Outcome.sawRTP
        }
        if peerRTCP.pointee.address_length != 0 { packet.pointee.destination = peerRTCP }
        return Outcome.rtcp
    }

    /// `lookup` layout: drains the worker's sk_lookup receive socket, where packets for all of its
    /// steered ports arrive mixed. Each packet's leg comes from its destination port
    /// (IP_ORIGDSTADDR) through `portLegs`; from there it takes `admit`, exactly as on its own
    /// socket, and the batch is sent from the legs' port sockets as `relayReadable` sends. Legs'
    /// counters are charged per packet after the send. Same fairness bound as `relayReadable`.
    func relayLookupReadable(legBase: UnsafeMutablePointer<RelayLeg>,
                             destinationBase: UnsafePointer<csbc_relay_destination>, legLimit: Int) {
        let fd = lookupFD
        let batch = self.batch
        let packets = self.packets
        let batchSize = RelayWorker.batchSize
        let portLegs = self.portLegs, entries = lookupEntries, outcomes = lookupOutcomes, lengths = lookupLengths
        let portMin = lookupPortMin, portCount = lookupPortCount
        var batches = 0
        while batches < RelayWorker.maxBatchesPerWake {
            batches += 1
            let count = Int(csbc_relay_recv_lookup(fd, batch))
            guard count > 0 else {
                // As in relayReadable: an ICMP error (see takeLookupErrors) fails one receive.
                if count < 0, csbc_is_unreachable_errno(csbc_errno()) != 0 {
                    takeLookupErrors()
                    continue
                }
                break
            }
            let now = csbc_monotonic_now_ns()
            for i in 0..<count {
                let packet = packets + i
                lengths[i] = packet.pointee.length
                entries[i] = -1
                let slot = Int(packet.pointee.destination_port) &- portMin
                // A port no leg of this worker holds (released, or a packet of a stale mapping): dropped.
                guard slot >= 0, slot < portCount else { continue }
                let entry = portLegs[slot]
                guard entry >= 0, Int(entry >> 1) < legLimit else { continue }
                let index = entry >> 1
                let leg = legBase + Int(index)
                let peer = legBase + Int(index ^ 1)
                let suppressedBefore = leg.pointee.eventPacketsSuppressed
                var offset = peer.pointee.sequenceOffset
                let arrival = RTPReceiveStatistics.arrivalUnits(nanoseconds: now, clockRate: leg.pointee.clockRate)
                var outcome = admit(packet, leg: leg, index: index, isRTCPSocket: entry & 1 != 0, peer: peer,
                                    peerRTP: destinationBase + 2 * Int(index ^ 1), srtp: leg.pointee.streamHasSRTP,
                                    eventPT: leg.pointee.eventReceivePT, offset: &offset, arrival: arrival, now: now)
                if leg.pointee.eventPacketsSuppressed != suppressedBefore { outcome |= Outcome.suppressed }
                entries[i] = entry
                outcomes[i] = outcome
            }
            var bytesOut: UInt64 = 0
            _ = csbc_relay_send(batch, Int32(count), &bytesOut)
            for i in 0..<count {
                let entry = entries[i]
                guard entry >= 0 else { continue }
                let packet = packets + i
                let leg = legBase + Int(entry >> 1)
                let outcome = outcomes[i]
                let sent: UInt64 = packet.pointee.sent != 0 ? 1 : 0
                leg.pointee.packetsReceived &+= 1
                leg.pointee.bytesReceived &+= UInt64(lengths[i])
                leg.pointee.packetsForwarded &+= sent
                if sent != 0 { leg.pointee.bytesForwarded &+= UInt64(packet.pointee.length) }
                // Event packets suppressed on purpose (the peer takes DTMF as SIP INFO) are not drops.
                leg.pointee.packetsDropped &+= 1 &- sent &- (outcome & Outcome.suppressed != 0 ? 1 : 0)
                if outcome & Outcome.rtcp != 0 { leg.pointee.rtcpPackets &+= 1 }
                if outcome & Outcome.sawRTP != 0 { leg.pointee.lastRTPNanoseconds = now }
            }
            if count < batchSize { break }
        }
    }

    /// A port of `leg` just learned its party's source: send to it from now on and tell
    /// signalling (for the RTP port; an RTCP port latching is only logged).
    @inline(never)
    func latched(leg index: Int32, rtcp: Bool) {
        refreshDestinations(of: index)
        let leg = legs.leg(index).pointee
        let latch = rtcp ? leg.rtcpLatch : leg.rtpLatch
        guard let source = latch.source, leg.session >= 0, let session = sessions[Int(leg.session)] else { return }
        let address = source.address
        session.logger.debug("media latched", metadata: [
            "side": "\(leg.side)", "stream": "\(leg.stream)", "port": rtcp ? "rtcp" : "rtp",
            "source": "\(address)",
        ])
        if !rtcp {
            events(.latched(session.id, side: leg.side, source: address))
        }
    }
}
