import Glibc
import Logging
import SBCSystem
import SIPCore
import TLS

/// SIP over TCP and TLS: accepting within limits, dialling, TLS handshakes, framing, keep-alives
/// and idle expiry. A TLS connection is a TCP connection whose bytes pass through a memory-BIO
/// session on their way to and from the framer, on the same epoll readiness.
extension SIPTransportLayer {
    func acceptConnections(_ zone: TransportZone, _ transport: TransportProtocol) {
        guard let listener = zone.listeners[transport] else { return }
        for _ in 0..<Self.acceptsPerWakeLimit {
            let accepted: (fd: Int32, peer: SocketAddress)?
            do {
                accepted = try listener.accept()
            } catch {
                // Out of descriptors: shed the pending connections with the spare descriptor;
                // if that is impossible, level-triggered epoll would spin, so pause the listener.
                if error.errno == EMFILE || error.errno == ENFILE, shedPendingConnections(zone, listener) {
                    return
                }
                logger.error("SIP stream accept failed; pausing listener", metadata: [
                    "zone": "\(zone.name)", "transport": "\(transport)", "error": "\(error)",
                ])
                pauseListener(zone, transport, listener)
                return
            }
            guard let (fd, peer) = accepted else { return }
            // Refusals cost an accept and a close, nothing more: a flood is refused at this rate.
            if !admitsConnection(zone.name, peer) {
                counters.connectionsFromStrangersRefused += 1
                logger.debug("SIP connection from a stranger refused", metadata: ["zone": "\(zone.name)", "peer": "\(peer)"])
                Self.refuse(fd)
                continue
            }
            if let refusal = admissionRefusal(peer) {
                counters.connectionsRefused += 1
                Self.refuse(fd)
                logRefusal(zone, transport, peer, refusal)
                continue
            }
            let tcp = TCPConnection(accepted: fd, peer: peer, loop: loop, readBuffer: sharedReadBuffer)
            counters.tcpAccepted += 1
            let security: StreamConnection.Security
            if transport == .tls {
                guard let context = tlsServerContext(zone.name, peer), let session = try? TLSSession(context: context)
                else {
                    logger.error("no TLS context for a connection; closing", metadata: ["zone": "\(zone.name)", "peer": "\(peer)"])
                    tcp.close()
                    continue
                }
                security = .handshaking(session, deadline: nil)
            } else {
                security = .plain
            }
            acceptedBySource[peer.ip, default: 0] += 1
            _ = adopt(tcp, zone: zone.name, outbound: false, security: security)
        }
    }

    /// Why a new inbound connection from `peer` is not taken, if it is not.
    private func admissionRefusal(_ peer: SocketAddress) -> String? {
        if openConnectionCount >= policy.maxConnections {
            return "\(openConnectionCount) connections open, the limit (sip.max_connections)"
        }
        if acceptedBySource[peer.ip, default: 0] >= policy.maxConnectionsPerSource {
            return "\(policy.maxConnectionsPerSource) connections from this address, the limit (sip.max_connections_per_source)"
        }
        return nil
    }

    /// Closes a connection refused at accept with a reset (SO_LINGER 0): the peer learns at once
    /// that it was refused, and the SBC keeps no TIME_WAIT state for it.
    private static func refuse(_ fd: Int32) {
        var reset = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(fd)
    }

    /// A warning for the first refusal of each `acceptRefusalLog` interval, with how many were not
    /// logged since the previous one; every refusal is at debug and in the counters. A flood of
    /// thousands of connections a second would otherwise be as many warnings, and the logging
    /// alone slowed the loop.
    private func logRefusal(_ zone: TransportZone, _ transport: TransportProtocol, _ peer: SocketAddress,
                            _ refusal: String) {
        // Metadata is an autoclosure: built only when the line is written.
        func metadata() -> Logger.Metadata {
            ["zone": "\(zone.name)", "peer": "\(peer)", "transport": "\(transport)", "reason": "\(refusal)"]
        }
        let decision = acceptRefusalLog.occurrence(at: loop.now)
        guard decision.log else {
            logger.debug("SIP connection refused", metadata: metadata())
            return
        }
        logger.warning("SIP connection refused", metadata: metadata().merging([
            "refused_unlogged": "\(decision.notLogged)", "refused_total": "\(counters.connectionsRefused)",
        ]) { $1 })
    }

    private func pauseListener(_ zone: TransportZone, _ transport: TransportProtocol, _ listener: TCPListener) {
        try? loop.modify(fd: listener.fd, interest: [])
        zone.listenerResume[transport] = loop.schedule(after: .milliseconds(100)) { [weak self, weak zone] in
            guard let self, let zone, let listener = zone.listeners[transport] else { return }
            zone.listenerResume[transport] = nil
            do {
                try self.loop.modify(fd: listener.fd, interest: .readable)
            } catch {
                self.logger.error("SIP listener resume failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func dial(_ destination: SocketAddress, transport: TransportProtocol, zone: TransportZone) -> StreamConnection? {
        var security = StreamConnection.Security.plain
        if transport == .tls {
            guard let target = tlsClientTarget(zone.name, destination) else {
                report(TransportFailure(destination: destination, transport: .tls, zone: zone.name,
                                        cause: .tls(.handshakeFailed("no TLS settings for this destination"))))
                return nil
            }
            do {
                let session = try TLSSession(context: target.context, serverName: target.serverName,
                                             resumptionKey: target.resumptionKey)
                try session.start()
                security = .handshaking(session, deadline: nil)
            } catch {
                report(TransportFailure(destination: destination, transport: .tls, zone: zone.name, cause: .tls(error)))
                return nil
            }
        }
        let source: SocketAddress? = zone.bindHost.isUnspecified ? nil : zone.bindHost
        let tcp: TCPConnection
        do {
            tcp = try TCPConnection.connect(to: destination, from: source, loop: loop, readBuffer: sharedReadBuffer)
        } catch {
            report(TransportFailure(destination: destination, transport: transport, zone: zone.name, error: error))
            return nil
        }
        tcp.onConnected = { [unowned self] in
            self.counters.tcpConnected += 1
            self.logger.debug("SIP stream connected", metadata: [
                "to": "\(destination)", "zone": "\(zone.name)", "transport": "\(transport)",
            ])
        }
        guard let conn = adopt(tcp, zone: zone.name, outbound: true, security: security) else { return nil }
        // The ClientHello waits in the TCP connection's buffer until the connect completes.
        if let session = security.session { conn.flushTLS(session) }
        return conn
    }

    /// Puts a connection under management: tables, callbacks, timers, loop registration.
    private func adopt(_ tcp: TCPConnection, zone: String, outbound: Bool,
                       security: StreamConnection.Security) -> StreamConnection? {
        let id = ConnectionID(rawValue: allocateConnectionID())
        let conn = StreamConnection(id: id, zone: zone, peer: tcp.peerAddress, tcp: tcp, outbound: outbound,
                                    security: security, maxMessageBytes: maxMessageBytes)
        tcp.onRead = { [unowned self, unowned conn] bytes in self.streamRead(conn, bytes) }
        tcp.onClose = { [unowned self, unowned conn] error in self.streamClosed(conn, error) }
        do {
            try tcp.start()
        } catch {
            logger.error("SIP stream registration failed", metadata: ["peer": "\(tcp.peerAddress)", "error": "\(error)"])
            tcp.close()
            if !outbound, let count = acceptedBySource[tcp.peerAddress.ip] {
                acceptedBySource[tcp.peerAddress.ip] = count > 1 ? count - 1 : nil
            }
            return nil
        }
        remember(conn)
        scheduleIdleCheck(conn, at: tcp.lastActivity + policy.idleTimeout)
        if case .handshaking(let session, _) = security {
            let deadline = loop.schedule(after: policy.handshakeTimeout) { [weak self, weak conn] in
                guard let self, let conn, conn.isOpen, conn.security.isHandshaking else { return }
                self.tlsFailed(conn, .handshakeTimeout)
            }
            conn.security = .handshaking(session, deadline: deadline)
        }
        if outbound { scheduleKeepAlive(conn) }
        logger.debug("SIP stream connection open", metadata: [
            "id": "\(id)", "peer": "\(conn.peer)", "zone": "\(zone)", "outbound": "\(outbound)",
            "transport": "\(conn.transport)",
        ])
        return conn
    }

    private func streamRead(_ conn: StreamConnection, _ bytes: UnsafeRawBufferPointer) {
        if let session = conn.security.session {
            let outcome: TLSReceiveOutcome
            do {
                outcome = try session.receive(bytes) { plaintext in conn.framer.append(plaintext) }
            } catch {
                conn.flushTLS(session)  // the alert that tells the peer why
                tlsFailed(conn, error)
                return
            }
            conn.flushTLS(session)
            if let summary = outcome.handshakeCompleted { tlsEstablished(conn, session, summary) }
            deliverFrames(conn)
            if outcome.peerClosed, conn.isOpen {
                logger.debug("SIP TLS connection closed by peer", metadata: ["id": "\(conn.id)", "peer": "\(conn.peer)"])
                forget(conn)
                conn.tcp.close()
            }
        } else {
            conn.framer.append(bytes)
            deliverFrames(conn)
        }
        armMessageDeadline(conn)
    }

    /// Slowloris: a message still incomplete `messageDeadline` after the deadline was armed
    /// (by its first bytes) closes the connection. A delivered message disarms it.
    private func armMessageDeadline(_ conn: StreamConnection) {
        guard conn.isOpen, conn.messageDeadlineTimer == nil, conn.framer.bufferedByteCount > 0 else { return }
        conn.messageDeadlineTimer = loop.schedule(after: policy.messageDeadline) { [weak self, weak conn] in
            guard let self, let conn, conn.isOpen else { return }
            conn.messageDeadlineTimer = nil
            guard conn.framer.bufferedByteCount > 0 else { return }
            self.counters.tcpClosedSlow += 1
            self.logger.notice("SIP stream closed: message incomplete past the deadline (sip.message_deadline_s)", metadata: [
                "id": "\(conn.id)", "peer": "\(conn.peer)", "zone": "\(conn.zone)",
                "buffered_bytes": "\(conn.framer.bufferedByteCount)",
            ])
            self.forget(conn)
            conn.tcp.close()
        }
    }

    /// Out of descriptors with connections pending: frees the spare descriptor, accepts one
    /// connection into it and closes it at once (the peer sees a reset rather than a hang), as
    /// many times as connections are pending (bounded), then takes the spare back. False when
    /// there is no spare to use.
    func shedPendingConnections(_ zone: TransportZone, _ listener: TCPListener) -> Bool {
        guard spareDescriptor >= 0 else { return false }
        var shed = 0
        while shed < Self.acceptsPerWakeLimit {
            Glibc.close(spareDescriptor)
            spareDescriptor = -1
            let accepted = try? listener.accept()
            if let (fd, _) = accepted {
                Glibc.close(fd)
                shed += 1
            }
            spareDescriptor = Self.openSpareDescriptor()
            if accepted == nil || spareDescriptor < 0 { break }
        }
        counters.connectionsShed += shed
        logger.warning("SIP connections shed: out of file descriptors", metadata: [
            "zone": "\(zone.name)", "shed": "\(shed)", "open_connections": "\(openConnectionCount)",
        ])
        return spareDescriptor >= 0 && shed > 0
    }

    static func openSpareDescriptor() -> Int32 {
        open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    private func deliverFrames(_ conn: StreamConnection) {
        let now = loop.now
        do {
            while conn.isOpen, let frame = try conn.framer.next() {
                switch frame {
                case .message(let message):
                    counters.tcpMessagesReceived += 1
                    if let timer = conn.messageDeadlineTimer {
                        loop.cancel(timer)
                        conn.messageDeadlineTimer = nil
                    }
                    onMessage(InboundMessage(bytes: message, source: conn.peer, transport: conn.transport,
                                             zone: conn.zone, connection: conn.id, receivedAt: now))
                case .keepAlivePing:
                    // RFC 5626 sec. 4.4.1: answer a CRLFCRLF ping with a CRLF pong.
                    counters.keepAlivesAnswered += 1
                    _ = write(Self.crlfBytes, on: conn)
                }
            }
        } catch {
            counters.tcpFramingErrors += 1
            logger.warning("SIP stream framing error; closing connection", metadata: [
                "peer": "\(conn.peer)", "zone": "\(conn.zone)", "error": "\(error)",
            ])
            forget(conn)
            conn.tcp.close()
        }
    }

    private func tlsEstablished(_ conn: StreamConnection, _ session: TLSSession, _ summary: TLSHandshakeSummary) {
        if case .handshaking(_, let deadline?) = conn.security { loop.cancel(deadline) }
        conn.security = .established(session)
        counters.tlsHandshakes += 1
        if summary.resumed { counters.tlsResumed += 1 }
        logger.debug("SIP TLS established", metadata: [
            "id": "\(conn.id)", "peer": "\(conn.peer)", "zone": "\(conn.zone)", "version": "\(summary.version)",
            "cipher": "\(summary.cipher)", "resumed": "\(summary.resumed)",
            "peer_certificate": "\(summary.peerCertificate?.subject ?? "-")",
        ])
        onTLSHandshake(TLSHandshakeReport(zone: conn.zone, peer: conn.peer, outbound: conn.outbound,
                                          outcome: .established(summary)))
    }

    /// A handshake that failed or timed out, a certificate the policy refused, or a broken
    /// session: the connection ends, and for a peer we dialled it is a transport failure that
    /// fails calls over and fails the trunk's probe with the cause.
    func tlsFailed(_ conn: StreamConnection, _ failure: TLSFailure) {
        guard conn.isOpen else { return }
        counters.tlsHandshakeFailures += 1
        forget(conn)
        conn.tcp.close()
        onTLSHandshake(TLSHandshakeReport(zone: conn.zone, peer: conn.peer, outbound: conn.outbound,
                                          outcome: .failed(failure)))
        if conn.outbound {
            report(TransportFailure(destination: conn.peer, transport: .tls, zone: conn.zone, cause: .tls(failure)))
        } else {
            logger.warning("SIP TLS connection refused", metadata: [
                "peer": "\(conn.peer)", "zone": "\(conn.zone)", "cause": "\(failure.cause)", "detail": "\(failure)",
            ])
        }
    }

    private func streamClosed(_ conn: StreamConnection, _ error: SystemError?) {
        forget(conn)
        if let error {
            report(TransportFailure(destination: conn.peer, transport: conn.transport, zone: conn.zone, error: error))
        } else if conn.outbound, conn.security.isHandshaking {
            // A server that hangs up mid-handshake refused us as surely as a reset would.
            report(TransportFailure(destination: conn.peer, transport: .tls, zone: conn.zone,
                                    cause: .tls(.handshakeFailed("connection closed by the peer during the handshake"))))
        } else {
            logger.debug("SIP stream closed by peer", metadata: ["id": "\(conn.id)", "peer": "\(conn.peer)"])
        }
    }

    private func scheduleIdleCheck(_ conn: StreamConnection, at deadline: MonotonicInstant) {
        conn.idleTimer = loop.schedule(at: deadline) { [weak self, weak conn] in
            guard let self, let conn, conn.isOpen else { return }
            conn.idleTimer = nil
            let idleUntil = conn.tcp.lastActivity + self.policy.idleTimeout
            if self.loop.now >= idleUntil {
                self.counters.tcpClosedIdle += 1
                self.logger.debug("SIP stream idle; closing", metadata: ["id": "\(conn.id)", "peer": "\(conn.peer)"])
                self.forget(conn)
                conn.tcp.close()
            } else {
                self.scheduleIdleCheck(conn, at: idleUntil)
            }
        }
    }

    /// RFC 5626 4.4.1: a CRLFCRLF ping on a connection we dialled that has been quiet for the
    /// interval, so NATs keep the flow and a dead peer shows (as a write error or reset) before a
    /// call needs the connection. A carrier connection kept alive this way never idles out.
    private func scheduleKeepAlive(_ conn: StreamConnection) {
        guard policy.keepAliveInterval > .zero else { return }
        conn.keepAliveTimer = loop.schedule(after: policy.keepAliveInterval) { [weak self, weak conn] in
            guard let self, let conn, conn.isOpen else { return }
            conn.keepAliveTimer = nil
            let quiet = self.loop.now >= conn.tcp.lastActivity + self.policy.keepAliveInterval
            if quiet, !conn.security.isHandshaking {
                self.counters.keepAlivesSent += 1
                _ = self.write(Self.pingBytes, on: conn)
            }
            if conn.isOpen { self.scheduleKeepAlive(conn) }
        }
    }
}
