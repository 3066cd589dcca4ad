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
        let peerRTCP = peerRTP + 1
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
                let length = Int(packet.pointee.length)
                bytesIn &+= UInt64(length)
                guard packet.pointee.truncated == 0 else { continue }
                let source = MediaEndpoint(high: packet.pointee.source_high, low: packet.pointee.source_low,
                                           port: packet.pointee.source_port)
                let bytes = UnsafeRawBufferPointer(start: packet.pointee.data, count: length)
                guard let view = leg.pointee.carriesRTP ? RTPPacketView(bytes) : nil else {
                    // Not RTP: relayed opaquely on a non-RTP stream (T.38), or when it is DTLS on
                    // the RTP port of an RTP stream (RFC 7983 demultiplexing); dropped otherwise.
                    let opaque = !leg.pointee.carriesRTP || (length > 0 && (20...63).contains(bytes[0]))
                    guard opaque, !isRTCPSocket else { continue }
                    let verdict = leg.pointee.rtpLatch.admit(source)
                    if verdict == .rejected { continue }
                    if verdict == .latched { latched(leg: index, rtcp: false) }
                    if !leg.pointee.carriesRTP { sawRTP = true }
                    if peerRTP.pointee.address_length != 0 { packet.pointee.destination = peerRTP }
                    continue
                }
                let isRTP = view.kind == .rtp
                // RTP has no business on an RTCP port, nor RTCP on the RTP port of a leg that
                // does not mux: drop them before they could latch a port to the wrong source.
                if isRTCPSocket ? isRTP : (!isRTP && !leg.pointee.isRTCPMuxed) { continue }
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
                    if verdict == .rejected { continue }
                    latched(leg: index, rtcp: isRTCPSocket)
                }
                if isRTP {
                    if prepare, !srtp { forward = prepareTowardsPeer(packet, from: leg, to: peer, offset: &offset, now: now) }
                    leg.pointee.receive.record(sequence: sequence, timestamp: timestamp, ssrc: ssrc, arrival: arrival)
                    sawRTP = true
                    if forward, peerRTP.pointee.address_length != 0 { packet.pointee.destination = peerRTP }
                } else {
                    rtcp &+= 1
                    if peerRTCP.pointee.address_length != 0 { packet.pointee.destination = peerRTCP }
                }
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
