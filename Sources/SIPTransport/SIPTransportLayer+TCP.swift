import Glibc
import Logging
import SBCSystem
import SIPCore

/// SIP over TCP: accepting, dialling, framing, keep-alives and idle expiry.
extension SIPTransportLayer {
    func acceptConnections(_ zone: TransportZone) {
        guard let listener = zone.listener else { return }
        for _ in 0..<Self.acceptsPerWakeLimit {
            let accepted: (fd: Int32, peer: SocketAddress)?
            do {
                accepted = try listener.accept()
            } catch {
                // Out of descriptors: level-triggered epoll would spin on the pending connection,
                // so stop listening for a moment and let idle expiry free some.
                logger.error("SIP TCP accept failed; pausing listener", metadata: [
                    "zone": "\(zone.name)", "error": "\(error)",
                ])
                pauseListener(zone, listener)
                return
            }
            guard let (fd, peer) = accepted else { return }
            let tcp = TCPConnection(accepted: fd, peer: peer, loop: loop, readBuffer: sharedReadBuffer)
            counters.tcpAccepted += 1
            _ = adopt(tcp, zone: zone.name, outbound: false)
        }
    }

    private func pauseListener(_ zone: TransportZone, _ listener: TCPListener) {
        try? loop.modify(fd: listener.fd, interest: [])
        zone.listenerResume = loop.schedule(after: .milliseconds(100)) { [weak self, weak zone] in
            guard let self, let zone, let listener = zone.listener else { return }
            zone.listenerResume = nil
            do {
                try self.loop.modify(fd: listener.fd, interest: .readable)
            } catch {
                self.logger.error("SIP TCP listener resume failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func dial(_ destination: SocketAddress, zone: TransportZone) -> StreamConnection? {
        let source: SocketAddress? = zone.bindHost.isUnspecified ? nil : zone.bindHost
        let tcp: TCPConnection
        do {
            tcp = try TCPConnection.connect(to: destination, from: source, loop: loop, readBuffer: sharedReadBuffer)
        } catch {
            report(TransportFailure(destination: destination, transport: .tcp, zone: zone.name, error: error))
            return nil
        }
        tcp.onConnected = { [unowned self] in
            self.counters.tcpConnected += 1
            self.logger.debug("SIP TCP connected", metadata: ["to": "\(destination)", "zone": "\(zone.name)"])
        }
        return adopt(tcp, zone: zone.name, outbound: true)
    }

    /// Puts a connection under management: tables, callbacks, idle timer, loop registration.
    private func adopt(_ tcp: TCPConnection, zone: String, outbound: Bool) -> StreamConnection? {
        let id = ConnectionID(rawValue: allocateConnectionID())
        let conn = StreamConnection(id: id, zone: zone, peer: tcp.peerAddress, tcp: tcp, outbound: outbound,
                                    maxMessageBytes: maxMessageBytes)
        tcp.onRead = { [unowned self, unowned conn] bytes in self.streamRead(conn, bytes) }
        tcp.onClose = { [unowned self, unowned conn] error in self.streamClosed(conn, error) }
        do {
            try tcp.start()
        } catch {
            logger.error("SIP TCP registration failed", metadata: ["peer": "\(tcp.peerAddress)", "error": "\(error)"])
            tcp.close()
            return nil
        }
        remember(conn)
        scheduleIdleCheck(conn, at: tcp.lastActivity + tcpIdleTimeout)
        logger.debug("SIP TCP connection open", metadata: [
            "id": "\(id)", "peer": "\(conn.peer)", "zone": "\(zone)", "outbound": "\(outbound)",
        ])
        return conn
    }

    private func streamRead(_ conn: StreamConnection, _ bytes: UnsafeRawBufferPointer) {
        conn.framer.append(bytes)
        let now = loop.now
        do {
            while conn.isOpen, let frame = try conn.framer.next() {
                switch frame {
                case .message(let message):
                    counters.tcpMessagesReceived += 1
                    onMessage(InboundMessage(bytes: message, source: conn.peer, transport: .tcp, zone: conn.zone,
                                             connection: conn.id, receivedAt: now))
                case .keepAlivePing:
                    // RFC 5626 sec. 4.4.1: answer a CRLFCRLF ping with a CRLF pong.
                    counters.keepAlivesAnswered += 1
                    conn.tcp.write(Self.crlfBytes)
                }
            }
        } catch {
            counters.tcpFramingErrors += 1
            logger.warning("SIP TCP framing error; closing connection", metadata: [
                "peer": "\(conn.peer)", "zone": "\(conn.zone)", "error": "\(error)",
            ])
            forget(conn)
            conn.tcp.close()
        }
    }

    private func streamClosed(_ conn: StreamConnection, _ error: SystemError?) {
        forget(conn)
        if let error {
            report(TransportFailure(destination: conn.peer, transport: .tcp, zone: conn.zone, error: error))
        } else {
            logger.debug("SIP TCP connection closed by peer", metadata: ["id": "\(conn.id)", "peer": "\(conn.peer)"])
        }
    }

    private func scheduleIdleCheck(_ conn: StreamConnection, at deadline: MonotonicInstant) {
        conn.idleTimer = loop.schedule(at: deadline) { [weak self, weak conn] in
            guard let self, let conn, conn.isOpen else { return }
            conn.idleTimer = nil
            let idleUntil = conn.tcp.lastActivity + self.tcpIdleTimeout
            if self.loop.now >= idleUntil {
                self.counters.tcpClosedIdle += 1
                self.logger.debug("SIP TCP connection idle; closing", metadata: ["id": "\(conn.id)", "peer": "\(conn.peer)"])
                self.forget(conn)
                conn.tcp.close()
            } else {
                self.scheduleIdleCheck(conn, at: idleUntil)
            }
        }
    }
}
