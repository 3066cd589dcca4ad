import Glibc
import Logging
import SBCSystem
import SIPCore
import TLS

/// SIP over UDP, TCP and TLS on the signalling loop, in bytes: it frames streams, drives TLS
/// sessions and routes bytes between sockets and the layers above, and parses nothing beyond
/// Content-Length.
///
/// Per zone (a network side such as "carriers" or "platform") it owns one UDP socket and a TCP and
/// a TLS listener. UDP replies leave from the zone's socket so the source port is the advertised
/// one (carriers ACL and NAT-pin on it). Streams reuse any open connection to a destination,
/// inbound or outbound, per RFC 3261 sec. 18; a new one is dialled on demand with bytes queued
/// meanwhile (for TLS, in the session until the handshake completes).
///
/// Loop-confined: create it, call its methods and read its callbacks on the loop thread.
public final class SIPTransportLayer {
    public let loop: EventLoop
    public let maxMessageBytes: Int
    public let policy: StreamConnectionPolicy
    let logger: Logger

    /// Every complete inbound message.
    public var onMessage: (InboundMessage) -> Void = { _ in }
    /// Destinations found unreachable (ICMP, refused, reset, TLS refused), for carrier failover.
    public var onTransportError: (TransportFailure) -> Void = { _ in }
    /// The TLS context for a connection accepted in a zone, chosen by the peer's address (a trunk
    /// that must present a client certificate gets a context that requires one). Nil refuses it.
    public var tlsServerContext: (_ zone: String, _ peer: SocketAddress) -> TLSContext? = { _, _ in nil }
    /// How to dial a TLS destination from a zone. Nil fails the send as a transport failure.
    public var tlsClientTarget: (_ zone: String, _ destination: SocketAddress) -> TLSClientTarget? = { _, _ in nil }
    /// Every TLS handshake's end, completed or failed (peer certificates, metrics). A failure on
    /// a connection we dialled is also a `TransportFailure`.
    public var onTLSHandshake: (TLSHandshakeReport) -> Void = { _ in }
    /// After each drain of a zone's UDP socket: how long its oldest datagram had waited, bytes
    /// still queued and the buffer size, the load measures of overload control (docs/OVERLOAD.md).
    public var onReceiveDrain: (UDPReceiveDrain) -> Void = { _ in }
    /// Whether a new inbound connection from `peer` is taken at all (false: closed at accept,
    /// e.g. a stranger under `security.unknown_source: drop`).
    public var admitsConnection: (_ zone: String, _ peer: SocketAddress) -> Bool = { _, _ in true }
    /// `SO_RCVBUF` for the zones' UDP sockets opened from now on; nil keeps the socket's default.
    public var udpReceiveBufferBytes: Int32?
    public internal(set) var counters = TransportCounters()
    /// One unreachable report per UDP destination per window (`reportUnreachable`).
    private var unreachableGate = UnreachableReportGate()

    private var zones: [String: TransportZone] = [:]
    private var connections: [ConnectionID: StreamConnection] = [:]
    private var connectionsByPeer: [PeerKey: ConnectionID] = [:]
    /// Open connections per peer key, so that `forget` looks for another connection to the same
    /// peer only when there is one: closing N connections costs O(N). Scanning every time made a
    /// flood's 9,000 connections closing at once stall the loop for a second (issue 14).
    private var openConnectionsByPeer: [PeerKey: Int] = [:]
    /// Accepted connections per source IP, for `maxConnectionsPerSource`.
    var acceptedBySource: [SocketAddress.IP: Int] = [:]
    private var nextConnectionID: UInt64 = 1
    /// One read buffer for every TCP connection: reads are consumed synchronously on the loop.
    let sharedReadBuffer = TCPConnection.ReadBuffer(capacity: 65_536)
    private var closed = false
    /// A descriptor held in reserve: when accept() fails with EMFILE, it is closed so the pending
    /// connection can be accepted and closed at once (shed), then reopened. Without it the
    /// listener stays readable and the loop could only pause (see `shedPendingConnections`).
    var spareDescriptor: Int32 = -1
    /// One warning per interval for connections refused at accept (the counters count them all).
    var acceptRefusalLog = LogThrottle(interval: .seconds(10))

    /// recvmmsg batches per readiness event: up to 512 datagrams are read (and each refused
    /// cheaply or handled) before the loop looks at its timers and other sockets again.
    private static let udpBatchesPerWake = 16
    static let acceptsPerWakeLimit = 64
    static let crlfBytes: [UInt8] = [13, 10]
    static let pingBytes: [UInt8] = [13, 10, 13, 10]

    public init(loop: EventLoop, maxMessageBytes: Int, policy: StreamConnectionPolicy = StreamConnectionPolicy(),
                logger: Logger) {
        precondition(maxMessageBytes > 0, "maxMessageBytes must be positive")
        self.loop = loop
        self.maxMessageBytes = maxMessageBytes
        self.policy = policy
        self.logger = logger
        spareDescriptor = Self.openSpareDescriptor()
    }

    deinit {
        close()
    }

    // MARK: - Zones

    /// Opens the zone's sockets and starts receiving. A port of 0 binds an ephemeral port (see
    /// `localAddress(zone:transport:)`); nil leaves that transport off for the zone. A TLS
    /// listener serves with what `tlsServerContext` returns for each connection.
    public func addZone(name: String, bind: String, udpPort: UInt16?, tcpPort: UInt16?,
                        tlsPort: UInt16? = nil) throws(SystemError) {
        precondition(!closed, "addZone on a closed transport layer")
        guard zones[name] == nil else {
            throw SystemError(syscall: "addZone", errno: EEXIST, context: "zone \(name) already exists")
        }
        let host = try SocketAddress(host: bind, port: 0)
        let zone = TransportZone(name: name, bindHost: host)
        do throws(SystemError) {
            if let port = udpPort {
                let udp = try UDPSocket(bind: SocketAddress(ip: host.ip, port: port))
                if let udpReceiveBufferBytes { udp.setReceiveBuffer(bytes: udpReceiveBufferBytes) }
                // Each message's `receivedAt` is then the kernel's: the wait in the socket counts.
                udp.enableReceiveTimestamps()
                zone.udp = udp
                try loop.register(fd: udp.fd, interest: .readable) { [unowned self, unowned zone] events in
                    self.udpEvent(zone, events)
                }
            }
            for (transport, port) in [(TransportProtocol.tcp, tcpPort), (.tls, tlsPort)] {
                guard let port else { continue }
                let listener = try TCPListener(bind: SocketAddress(ip: host.ip, port: port))
                zone.listeners[transport] = listener
                try loop.register(fd: listener.fd, interest: .readable) { [unowned self, unowned zone] _ in
                    self.acceptConnections(zone, transport)
                }
            }
        } catch {
            closeZone(zone)
            throw error.with(context: "zone \(name): \(error.context)")
        }
        zones[name] = zone
        logger.info("SIP zone listening", metadata: [
            "zone": "\(name)",
            "udp": "\(zone.udp.map { "\($0.localAddress)" } ?? "-")",
            "tcp": "\(zone.listeners[.tcp].map { "\($0.localAddress)" } ?? "-")",
            "tls": "\(zone.listeners[.tls].map { "\($0.localAddress)" } ?? "-")",
        ])
    }

    /// The bound address, with the real port when 0 was requested.
    public func localAddress(zone: String, transport: TransportProtocol) -> SocketAddress? {
        switch transport {
        case .udp: zones[zone]?.udp?.localAddress
        case .tcp, .tls: zones[zone]?.listeners[transport]?.localAddress
        }
    }

    public var zoneNames: [String] { zones.keys.sorted() }

    // MARK: - Sending

    /// Sends one message. Returns false when it was not handed to the kernel or queued: unknown
    /// zone, oversize, UDP socket buffer full, or an immediate transport error (also reported
    /// through `onTransportError`). UDP retransmission and transaction timeouts cover the rest.
    @discardableResult
    public func send(_ bytes: [UInt8], to destination: SocketAddress, transport: TransportProtocol,
                     zone zoneName: String) -> Bool {
        guard !closed, let zone = zones[zoneName] else {
            logger.warning("SIP send to unknown zone", metadata: ["zone": "\(zoneName)", "to": "\(destination)"])
            return false
        }
        guard checkOutboundSize(bytes, destination) else { return false }
        switch transport {
        case .udp:
            return sendUDP(bytes, to: destination, zone: zone)
        case .tcp, .tls:
            if let id = connectionsByPeer[PeerKey(zone: zoneName, peer: destination, transport: transport)],
               let conn = connections[id] {
                return write(bytes, on: conn)
            }
            guard let conn = dial(destination, transport: transport, zone: zone) else { return false }
            return write(bytes, on: conn)
        }
    }

    /// Sends over a specific connection (responses go back where the request came from).
    /// False if that connection has closed; the caller may then fall back to `send(_:to:...)`.
    @discardableResult
    public func send(_ bytes: [UInt8], over connection: ConnectionID) -> Bool {
        guard let conn = connections[connection] else { return false }
        guard checkOutboundSize(bytes, conn.peer) else { return false }
        return write(bytes, on: conn)
    }

    /// The open connection to `destination` in `zone` over `transport`, if any.
    public func connection(to destination: SocketAddress, zone: String, transport: TransportProtocol = .tcp)
        -> ConnectionID?
    {
        connectionsByPeer[PeerKey(zone: zone, peer: destination, transport: transport)]
    }

    public var openConnectionCount: Int { connections.count }

    /// Closes a connection at the request of the layers above (e.g. a misbehaving peer).
    public func closeConnection(_ id: ConnectionID) {
        guard let conn = connections[id] else { return }
        forget(conn)
        conn.tcp.close()
    }

    /// Closes a connection once what was written to it has left (at most `grace` later), e.g.
    /// a stranger's after its 403: the answer arrives, the descriptor is not kept.
    public func closeConnectionAfterFlush(_ id: ConnectionID, grace: Duration = .seconds(1)) {
        guard let conn = connections[id] else { return }
        if conn.tcp.pendingByteCount == 0 {
            closeConnection(id)
            return
        }
        loop.schedule(after: min(grace, .milliseconds(100))) { [weak self] in
            guard let self, let conn = self.connections[id] else { return }
            if conn.tcp.pendingByteCount == 0 || grace <= .milliseconds(100) {
                self.closeConnection(id)
            } else {
                self.closeConnectionAfterFlush(id, grace: grace - .milliseconds(100))
            }
        }
    }

    /// Writes through the connection's TLS session if it has one; a TLS failure while encrypting
    /// ends the connection like any other transport failure.
    func write(_ bytes: [UInt8], on conn: StreamConnection) -> Bool {
        do {
            return try conn.write(bytes)
        } catch {
            tlsFailed(conn, error)
            return false
        }
    }

    // MARK: - Connection table

    func allocateConnectionID() -> UInt64 {
        defer { nextConnectionID += 1 }
        return nextConnectionID
    }

    func remember(_ conn: StreamConnection) {
        connections[conn.id] = conn
        // The newest connection to a peer wins; the older one stays usable by ConnectionID.
        let key = conn.key
        connectionsByPeer[key] = conn.id
        openConnectionsByPeer[key, default: 0] += 1
    }

    /// Drops a connection from the tables and cancels its timer; the caller closes the socket.
    func forget(_ conn: StreamConnection) {
        guard conn.isOpen else { return }
        conn.isOpen = false
        connections[conn.id] = nil
        let key = conn.key
        let others = (openConnectionsByPeer[key] ?? 1) - 1
        openConnectionsByPeer[key] = others > 0 ? others : nil
        if connectionsByPeer[key] == conn.id {
            connectionsByPeer[key] = nil
            // Fall back to another open connection to the same peer, if one exists.
            if others > 0, let other = connections.values.first(where: { $0.key == key }) {
                connectionsByPeer[key] = other.id
            }
        }
        if !conn.outbound, let count = acceptedBySource[conn.peer.ip] {
            acceptedBySource[conn.peer.ip] = count > 1 ? count - 1 : nil
        }
        for timer in [conn.idleTimer, conn.keepAliveTimer, conn.messageDeadlineTimer] {
            if let timer { loop.cancel(timer) }
        }
        conn.idleTimer = nil
        conn.keepAliveTimer = nil
        conn.messageDeadlineTimer = nil
        if case .handshaking(let session, let deadline?) = conn.security {
            loop.cancel(deadline)
            conn.security = .handshaking(session, deadline: nil)
        }
    }

    private func checkOutboundSize(_ bytes: [UInt8], _ destination: SocketAddress) -> Bool {
        guard bytes.count > maxMessageBytes else { return true }
        counters.outboundOversizeDropped += 1
        logger.warning("SIP message dropped: larger than maxMessageBytes", metadata: [
            "to": "\(destination)", "bytes": "\(bytes.count)", "limit": "\(maxMessageBytes)",
        ])
        return false
    }

    // MARK: - UDP

    private func sendUDP(_ bytes: [UInt8], to destination: SocketAddress, zone: TransportZone) -> Bool {
        guard let udp = zone.udp else {
            logger.warning("SIP UDP send in a zone without UDP", metadata: ["zone": "\(zone.name)"])
            return false
        }
        do {
            if try udp.send(bytes, to: destination) {
                counters.udpSent += 1
                return true
            }
            counters.udpSendDropped += 1
            logger.debug("SIP UDP send dropped: socket buffer full", metadata: ["to": "\(destination)"])
            return false
        } catch {
            reportUnreachable(TransportFailure(destination: destination, transport: .udp, zone: zone.name, error: error))
            return false
        }
    }

    private func udpEvent(_ zone: TransportZone, _ events: IOEvents) {
        guard let udp = zone.udp else { return }
        if events.contains(.error) {
            drainUDPErrors(zone, udp)
        }
        guard events.contains(.readable) else { return }
        var oldestWait: Duration?
        for batch in 0..<Self.udpBatchesPerWake {
            let now = loop.now
            do {
                let count = try udp.receiveBatchTimed { bytes, source, received in
                    let receivedAt = received.map { min($0, now) } ?? now
                    if batch == 0, oldestWait == nil, received != nil {
                        oldestWait = .nanoseconds(Int64(clamping: now.nanoseconds - receivedAt.nanoseconds))
                    }
                    self.deliverDatagram(bytes, from: source, zone: zone, receivedAt: receivedAt)
                }
                if count < UDPSocket.batchSize { break }
            } catch {
                // A pending ICMP error surfaces once on receive; its details are in the queue.
                if error.isUnreachable {
                    drainUDPErrors(zone, udp)
                    continue
                }
                logger.error("SIP UDP receive failed", metadata: ["zone": "\(zone.name)", "error": "\(error)"])
                break
            }
        }
        let queue = udp.receiveQueue
        onReceiveDrain(UDPReceiveDrain(zone: zone.name, oldestWait: oldestWait, queuedBytes: queue?.queuedBytes ?? 0,
                                       bufferBytes: queue?.bufferBytes ?? 0))
    }

    /// `receivedAt`: when the kernel received it (the loop's time of the read without a kernel
    /// timestamp), so the layers above see how long it waited in the socket.
    private func deliverDatagram(_ bytes: UnsafeRawBufferPointer, from source: SocketAddress, zone: TransportZone,
                                 receivedAt: MonotonicInstant) {
        counters.udpReceived += 1
        if bytes.count > maxMessageBytes {
            counters.udpOversizeDropped += 1
            logger.debug("SIP UDP datagram dropped: larger than maxMessageBytes", metadata: [
                "from": "\(source)", "bytes": "\(bytes.count)", "limit": "\(maxMessageBytes)",
            ])
            return
        }
        // CRLF keep-alives (and empty datagrams) carry no message.
        if bytes.count <= 4 && bytes.allSatisfy({ $0 == 13 || $0 == 10 }) { return }
        onMessage(InboundMessage(bytes: Array(bytes), source: source, transport: .udp, zone: zone.name,
                                 connection: nil, receivedAt: receivedAt))
    }

    private func drainUDPErrors(_ zone: TransportZone, _ udp: UDPSocket) {
        udp.drainErrors { asyncError in
            guard let destination = asyncError.destination else { return }
            reportUnreachable(TransportFailure(destination: destination, transport: .udp, zone: zone.name,
                                               error: asyncError.error))
        }
    }

    /// A UDP destination found unreachable, reported at most once per `UnreachableReportGate`
    /// window: a peer that went away answers every datagram still sent to it with an ICMP error.
    private func reportUnreachable(_ failure: TransportFailure) {
        guard unreachableGate.admit(zone: failure.zone, destination: failure.destination, now: loop.now) else {
            counters.transportFailuresCoalesced += 1
            return
        }
        report(failure)
    }

    func report(_ failure: TransportFailure) {
        counters.transportFailures += 1
        logger.notice("SIP transport failure", metadata: [
            "to": "\(failure.destination)", "transport": "\(failure.transport)", "zone": "\(failure.zone)",
            "error": "\(failure.cause)",
        ])
        onTransportError(failure)
    }

    // MARK: - Teardown

    /// Closes every socket and connection and cancels the layer's timers. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        if spareDescriptor >= 0 {
            Glibc.close(spareDescriptor)
            spareDescriptor = -1
        }
        for conn in Array(connections.values) {
            forget(conn)
            conn.tcp.close()
        }
        for zone in zones.values {
            closeZone(zone)
        }
        zones.removeAll()
    }

    private func closeZone(_ zone: TransportZone) {
        for handle in zone.listenerResume.values {
            loop.cancel(handle)
        }
        zone.listenerResume = [:]
        if let udp = zone.udp {
            loop.unregister(fd: udp.fd)
            udp.close()
            zone.udp = nil
        }
        for listener in zone.listeners.values {
            loop.unregister(fd: listener.fd)
            listener.close()
        }
        zone.listeners = [:]
    }
}
