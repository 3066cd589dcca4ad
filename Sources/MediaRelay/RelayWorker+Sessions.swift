import Glibc
import CSBCLinux
import Logging
import Media
import SBCSystem

extension RelayWorker {
    // MARK: - Commands

    /// `prepared` is the command as the mailbox carried it, with the SRTP contexts built for it.
    func apply(_ spec: MediaSessionSpec, prepared: RelayCommand, now: Duration) {
        if let slot = sessionSlots[spec.id], let session = sessions[Int(slot)] {
            update(session, to: spec, prepared: prepared, now: now)
        } else {
            create(spec, prepared: prepared, now: now)
        }
    }

    func destroy(_ id: MediaSessionID) {
        guard let slot = sessionSlots[id], let session = sessions[Int(slot)] else {
            // Unknown (a failed create, or destroyed twice): still answer, so the caller's
            // bookkeeping always gets its `.closed`.
            events(.closed(id, MediaSessionStatistics()))
            return
        }
        let statistics = self.statistics(of: session)
        forgetUnreachable(session)
        for stream in session.streams { removeStream(stream.slot) }
        sessions[Int(slot)] = nil
        freeSessionSlots.append(slot)
        sessionSlots[id] = nil
        let lifetime = Duration.nanoseconds(Int64(clamping: csbc_monotonic_now_ns())) - session.createdAt
        session.logger.debug("media session closed", metadata: [
            "a": "\(RelayWorker.summary(statistics.a))", "b": "\(RelayWorker.summary(statistics.b))",
            "duration_ms": "\(lifetime.nanosecondsClamped / 1_000_000)",
        ])
        events(.closed(id, statistics))
    }

    /// Current figures of a session, summed over its streams (and streams already removed).
    func statistics(of session: RelaySession) -> MediaSessionStatistics {
        var result = MediaSessionStatistics()
        for side in MediaSide.allCases {
            var total = MediaLegStatistics()
            for stream in session.streams {
                total.accumulate(legs.leg(2 * stream.slot + Int32(side.rawValue)).pointee.statistics)
            }
            total.accumulate(session.retiredStatistics[side])
            result[side] = total
        }
        return result
    }

    // MARK: - Create

    private func create(_ spec: MediaSessionSpec, prepared: RelayCommand, now: Duration) {
        let slot: Int32
        if let reused = freeSessionSlots.popLast() {
            slot = reused
        } else {
            slot = Int32(sessions.count)
            sessions.append(nil)
        }
        let session = RelaySession(spec: spec, slot: slot, logger: logger, now: now)
        for streamSpec in spec.streams {
            do throws(SystemError) {
                try addStream(streamSpec, to: session, prepared: prepared)
            } catch {
                // No partial session: whatever was bound for it is closed again.
                for stream in session.streams { removeStream(stream.slot) }
                freeSessionSlots.append(slot)
                fail(session, error)
                return
            }
        }
        sessions[Int(slot)] = session
        sessionSlots[spec.id] = slot
        if spec.armed {
            for side in MediaSide.allCases { session.silence[side.rawValue].arm(now: now) }
        }
        session.logger.debug("media session created", metadata: [
            "streams": "\(spec.streams.count)",
            "ports": "\(spec.streams.map { "\($0.a.local.port)<>\($0.b.local.port)" }.joined(separator: ","))",
        ])
    }

    private func fail(_ session: RelaySession, _ error: SystemError) {
        let reason = "media relay setup failed: \(error)"
        session.logger.error("media session failed", metadata: ["error": "\(error)"])
        events(.failed(session.id, reason: reason, port: failedPort))
        failedPort = nil
    }

    /// Binds a stream's sockets and sets up its legs. On failure nothing of the stream remains.
    private func addStream(_ spec: MediaStreamSpec, to session: RelaySession,
                           prepared: RelayCommand) throws(SystemError) {
        var a = RelayLeg(policy: latchPolicy(spec.a))
        a.side = .a
        configure(&a, spec.a, session: session, stream: spec.index)
        a.carriesRTP = spec.carriesRTP
        var b = RelayLeg(policy: latchPolicy(spec.b))
        b.side = .b
        configure(&b, spec.b, session: session, stream: spec.index)
        b.carriesRTP = spec.carriesRTP
        let slot = legs.allocateStream(a: a, b: b)
        do throws(SystemError) {
            for side in MediaSide.allCases {
                try openSockets(leg: 2 * slot + Int32(side.rawValue), spec: spec[side])
            }
        } catch {
            removeStream(slot)
            throw error
        }
        session.streams.append(RelaySession.Stream(index: spec.index, slot: slot, spec: spec))
        refreshDestinations(of: 2 * slot)
        refreshDestinations(of: 2 * slot + 1)
        for side in MediaSide.allCases {
            setSRTP(leg: 2 * slot + Int32(side.rawValue), spec: spec[side], keys: spec.relaySRTP(side),
                    stream: spec.index, prepared: prepared, session: session)
        }
    }

    private func configure(_ leg: inout RelayLeg, _ spec: MediaLegSpec, session: RelaySession, stream: Int) {
        leg.session = session.slot
        leg.stream = Int32(truncatingIfNeeded: stream)
        leg.clockRate = spec.clockRate == 0 ? 8000 : spec.clockRate
        RelayWorker.setTelephoneEvents(&leg, spec.dtmf)
        reopenLatches(&leg, for: spec, session: session)
    }

    /// Both latches learn afresh, expecting the party where `spec` says it is.
    private func reopenLatches(_ leg: inout RelayLeg, for spec: MediaLegSpec, session: RelaySession) {
        leg.rtpLatch.reopen(signalled: endpoint(spec.remoteRTP, session: session))
        leg.rtcpLatch.reopen(signalled: RelayWorker.rtcpSignalled(spec).flatMap { endpoint($0, session: session) })
    }

    /// Where RTCP from the party is expected: a=rtcp (or rtp+1 as signalling computed it); if
    /// signalling gave none but this side does not mux, RFC 3550's rtp+1.
    static func rtcpSignalled(_ spec: MediaLegSpec) -> MediaAddress? {
        if let rtcp = spec.remoteRTCP { return rtcp }
        guard !spec.rtcpMux, let rtp = spec.remoteRTP, rtp.port < .max else { return nil }
        return MediaAddress(host: rtp.host, port: rtp.port + 1)
    }

    private func endpoint(_ address: MediaAddress?, session: RelaySession) -> MediaEndpoint? {
        guard let address else { return nil }
        guard let endpoint = MediaEndpoint(address) else {
            session.logger.warning("media remote address is not a numeric IP; ignored", metadata: ["address": "\(address)"])
            return nil
        }
        return endpoint
    }

    // MARK: - Update

    private func update(_ session: RelaySession, to spec: MediaSessionSpec, prepared: RelayCommand, now: Duration) {
        let old = session.spec
        var remoteChanged = [false, false]
        var failure: SystemError?

        // Streams that disappeared: keep their figures, free their ports.
        let kept = Set(spec.streams.map(\.index))
        for stream in session.streams where !kept.contains(stream.index) {
            for side in MediaSide.allCases {
                session.retiredStatistics[side].accumulate(legs.leg(2 * stream.slot + Int32(side.rawValue)).pointee.statistics)
            }
            removeStream(stream.slot)
        }
        session.streams.removeAll { !kept.contains($0.index) }

        for streamSpec in spec.streams {
            guard let position = session.streams.firstIndex(where: { $0.index == streamSpec.index }) else {
                do throws(SystemError) {
                    try addStream(streamSpec, to: session, prepared: prepared)
                } catch {
                    failure = failure ?? error
                }
                for side in MediaSide.allCases { remoteChanged[side.rawValue] = true }
                continue
            }
            let stream = session.streams[position]
            for side in MediaSide.allCases {
                let legIndex = 2 * stream.slot + Int32(side.rawValue)
                // A T.38 re-INVITE turns the audio stream into a fax stream on the same ports.
                legs.leg(legIndex).pointee.carriesRTP = streamSpec.carriesRTP
                do throws(SystemError) {
                    if try updateLeg(legIndex, from: stream.spec[side], to: streamSpec[side], session: session) {
                        remoteChanged[side.rawValue] = true
                    }
                } catch {
                    failure = failure ?? error
                }
                // Same keys keep the contexts (and rollover counters); others swap in whole.
                setSRTP(leg: legIndex, spec: streamSpec[side], keys: streamSpec.relaySRTP(side),
                        stream: streamSpec.index, prepared: prepared, session: session)
            }
            session.streams[position].spec = streamSpec
        }
        session.spec = spec

        for side in MediaSide.allCases {
            var tracker = session.silence[side.rawValue]
            tracker.timeouts = spec.timeouts
            tracker.setRemoteSends(RelaySession.remoteSends(spec, side), now: now)
            if spec.armed && !old.armed {
                tracker.arm(now: now)
            } else if !spec.armed {
                tracker.disarm()
            } else if remoteChanged[side.rawValue] {
                tracker.restart(now: now)
            }
            session.silence[side.rawValue] = tracker
            if remoteChanged[side.rawValue] {
                // Counted against the party signalling just replaced: not news about the new one.
                session.unreachableErrors[side.rawValue] = 0
            }
        }
        if let failure {
            fail(session, failure)
        }
    }

    /// Brings one leg to `new`. Returns true when the party's signalled address changed (its
    /// latch reopened).
    private func updateLeg(_ legIndex: Int32, from old: MediaLegSpec, to new: MediaLegSpec,
                           session: RelaySession) throws(SystemError) -> Bool {
        let leg = legs.leg(legIndex)
        leg.pointee.clockRate = new.clockRate == 0 ? 8000 : new.clockRate
        RelayWorker.setTelephoneEvents(&leg.pointee, new.dtmf)
        if new.dtmf.sendPayloadType == nil { cancelInjection(leg: legIndex) }
        var reopened = updateLatchPolicy(legIndex, from: old, to: new, signalledRTP: endpoint(new.remoteRTP, session: session),
                                         signalledRTCP: RelayWorker.rtcpSignalled(new).flatMap { endpoint($0, session: session) })
        if old.remoteRTP != new.remoteRTP {
            leg.pointee.rtpLatch.reopen(signalled: endpoint(new.remoteRTP, session: session))
            reopened = true
        }
        if RelayWorker.rtcpSignalled(old) != RelayWorker.rtcpSignalled(new) {
            leg.pointee.rtcpLatch.reopen(signalled: RelayWorker.rtcpSignalled(new).flatMap { endpoint($0, session: session) })
            reopened = true
        }
        defer { refreshDestinations(of: legIndex) }
        if old.local != new.local {
            // A new local port is a new socket: the old latch belonged to the old port.
            closeSockets(leg: legIndex)
            reopenLatches(&leg.pointee, for: new, session: session)
            try openSockets(leg: legIndex, spec: new)
            return true
        }
        if old.localRTCPPort != new.localRTCPPort {
            closeRTCPSocket(leg: legIndex)
            if let port = new.localRTCPPort {
                try openRTCPSocket(leg: legIndex, host: new.local.host, port: port)
            }
        }
        if reopened {
            session.logger.debug("media latch reopened", metadata: [
                "side": "\(leg.pointee.side)", "stream": "\(leg.pointee.stream)",
                "remote": "\(new.remoteRTP.map(String.init(describing:)) ?? "-")",
            ])
        }
        return reopened
    }

    // MARK: - Sockets

    /// Binds the leg's RTP socket and, unless it muxes, its RTCP socket; on failure neither
    /// stays open.
    private func openSockets(leg legIndex: Int32, spec: MediaLegSpec) throws(SystemError) {
        let (fd, address) = try openSocket(host: spec.local.host, port: spec.local.port)
        let leg = legs.leg(legIndex)
        leg.pointee.rtpFD = fd
        leg.pointee.family = address.family
        leg.pointee.rtpGeneration = takeGeneration()
        do throws(SystemError) {
            let steered = try steer(leg: legIndex, isRTCP: false, address: address)
            try epollAdd(fd: fd, RelayEpollToken(leg: legIndex, isRTCP: false, generation: leg.pointee.rtpGeneration),
                         readable: !steered)
            if let port = spec.localRTCPPort {
                try openRTCPSocket(leg: legIndex, host: spec.local.host, port: port)
            }
        } catch {
            closeSockets(leg: legIndex)
            throw error
        }
    }

    private func openRTCPSocket(leg legIndex: Int32, host: String, port: UInt16) throws(SystemError) {
        let (fd, address) = try openSocket(host: host, port: port)
        let leg = legs.leg(legIndex)
        leg.pointee.rtcpFD = fd
        leg.pointee.rtcpGeneration = takeGeneration()
        let steered = try steer(leg: legIndex, isRTCP: true, address: address)
        try epollAdd(fd: fd, RelayEpollToken(leg: legIndex, isRTCP: true, generation: leg.pointee.rtcpGeneration),
                     readable: !steered)
    }

    /// `lookup` layout: when the program covers `address`, its port's packets go to the worker's
    /// receive socket from now on (`portLegs`, then the BPF port map) and the port socket is only
    /// watched for errors. Returns whether it is steered. The leg remembers the port before the
    /// map is touched, so closing the leg's sockets undoes a half-done steer too.
    private func steer(leg legIndex: Int32, isRTCP: Bool, address: SocketAddress) throws(SystemError) -> Bool {
        guard let steering, steering.covers(address) else { return false }
        let leg = legs.leg(legIndex)
        if isRTCP { leg.pointee.rtcpSteeredPort = address.port } else { leg.pointee.rtpSteeredPort = address.port }
        portLegs[Int(address.port) - lookupPortMin] = legIndex << 1 | (isRTCP ? 1 : 0)
        try steering.steer(port: address.port, worker: index)
        return true
    }

    /// Undoes `steer` for a port (0: not steered), before its socket closes.
    private func unsteer(_ port: UInt16) {
        guard port != 0, let steering else { return }
        steering.unsteer(port: port)
        portLegs[Int(port) - lookupPortMin] = -1
    }

    private func openSocket(host: String, port: UInt16) throws(SystemError) -> (Int32, SocketAddress) {
        failedPort = port
        let address = try SocketAddress(host: host, port: port)
        let bufferBytes = settings.socketBufferBytes
        let fd = try address.withSockAddr { (sockaddr, length) throws(SystemError) -> Int32 in
            try Syscall.checked("bind", context: "udp \(address)") {
                csbc_relay_open_udp(sockaddr, length, bufferBytes)
            }
        }
        failedPort = nil
        do throws(SystemError) {
            // Without it Linux drops ICMP errors for unconnected UDP sockets, and a party whose
            // process or host is gone would only be noticed by the media timeout, seconds later.
            try Syscall.checked("setsockopt", context: "IP_RECVERR udp \(address)") {
                csbc_enable_recverr(fd, address.family)
            }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return (fd, address)
    }

    private func takeGeneration() -> UInt32 {
        let generation = nextGeneration
        nextGeneration = nextGeneration == .max ? 1 : nextGeneration + 1
        return generation
    }

    /// `readable` false (a steered port socket): registered for EPOLLERR only, which epoll always
    /// reports, so ICMP errors on the socket reach `takeSocketErrors` as in the per_port layout.
    private func epollAdd(fd: Int32, _ token: RelayEpollToken, readable: Bool = true) throws(SystemError) {
        try Syscall.checked("epoll_ctl", context: "add media fd \(fd)") {
            csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_ADD, fd, readable ? CSBC_EPOLLIN : 0, token.rawValue)
        }
    }

    private func closeDescriptor(_ fd: Int32) {
        guard fd >= 0 else { return }
        // Closing removes it from the epoll set too; the explicit delete keeps that true even if
        // the descriptor were ever duplicated.
        _ = csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_DEL, fd, 0, 0)
        _ = Glibc.close(fd)
    }

    private func closeRTCPSocket(leg legIndex: Int32) {
        let leg = legs.leg(legIndex)
        unsteer(leg.pointee.rtcpSteeredPort)
        leg.pointee.rtcpSteeredPort = 0
        closeDescriptor(leg.pointee.rtcpFD)
        leg.pointee.rtcpFD = -1
        leg.pointee.rtcpGeneration = 0
    }

    func closeSockets(leg legIndex: Int32) {
        let leg = legs.leg(legIndex)
        unsteer(leg.pointee.rtcpSteeredPort)
        unsteer(leg.pointee.rtpSteeredPort)
        leg.pointee.rtcpSteeredPort = 0
        leg.pointee.rtpSteeredPort = 0
        closeDescriptor(leg.pointee.rtcpFD)
        closeDescriptor(leg.pointee.rtpFD)
        leg.pointee.rtpFD = -1
        leg.pointee.rtcpFD = -1
        leg.pointee.rtpGeneration = 0
        leg.pointee.rtcpGeneration = 0
        refreshDestinations(of: legIndex)
    }

    func closeSockets(of session: RelaySession) {
        for stream in session.streams {
            closeSockets(leg: 2 * stream.slot)
            closeSockets(leg: 2 * stream.slot + 1)
        }
    }

    /// A stream leaves the worker: its sockets close, its counters go into the worker's totals
    /// and its leg slots are free again. Its per-session figures must be taken before.
    private func removeStream(_ slot: Int32) {
        for legIndex in 2 * slot...2 * slot + 1 {
            closeSockets(leg: legIndex)
            retire(leg: legIndex)
            cancelInjection(leg: legIndex)
        }
        legs.releaseStream(slot, retiring: &retiredSRTP)
    }

    // MARK: - Destinations

    /// Re-encodes where packets towards leg `legIndex`'s party go: its latched source, else its
    /// signalled address, sent from its own socket; cleared when neither is known or the leg has
    /// no socket. RTCP goes to the RTCP latch/address, or with rtcp-mux to the RTP destination.
    func refreshDestinations(of legIndex: Int32) {
        let leg = legs.leg(legIndex).pointee
        let rtp = legs.rtpDestination(towards: legIndex)
        let rtcp = rtp + 1
        RelayWorker.encode(rtp, leg.rtpLatch.destination, fd: leg.rtpFD, family: leg.family)
        if leg.isRTCPMuxed {
            RelayWorker.encode(rtcp, leg.rtpLatch.destination, fd: leg.rtpFD, family: leg.family)
        } else {
            RelayWorker.encode(rtcp, leg.rtcpLatch.destination, fd: leg.rtcpSendFD, family: leg.family)
        }
    }

    private static func encode(_ destination: UnsafeMutablePointer<csbc_relay_destination>,
                               _ endpoint: MediaEndpoint?, fd: Int32, family: Int32) {
        guard let endpoint, fd >= 0 else {
            csbc_relay_destination_clear(destination)
            return
        }
        _ = csbc_relay_destination_set(destination, fd, family, endpoint.high, endpoint.low, endpoint.port)
    }

    static func summary(_ s: MediaLegStatistics) -> String {
        let jitter = (s.jitterMilliseconds * 10).rounded() / 10
        return "rx=\(s.packetsReceived) fwd=\(s.packetsForwarded) drop=\(s.packetsDropped) rtcp=\(s.rtcpPackets) "
            + "lost=\(s.packetsLost) jitter=\(jitter)ms src=\(s.latchedSource.map(String.init(describing:)) ?? "-")"
    }
}
