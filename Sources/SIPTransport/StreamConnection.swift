import SBCSystem
import SIPCore
import TLS

/// Per-connection state the transport keeps for SIP over TCP and TLS: the socket, the TLS
/// session if any, the framer that cuts the plaintext stream into messages, and the timers.
///
/// The idle timer is not re-armed on every byte: it fires at most once per idle timeout and
/// re-schedules itself from `lastActivity`, so a busy connection costs one timer per timeout
/// period rather than a heap operation per message.
final class StreamConnection {
    /// What lies between the socket and the framer. A TLS connection's handshake deadline exists
    /// only while it handshakes, so it lives in that case.
    enum Security {
        case plain
        case handshaking(TLSSession, deadline: TimerHandle?)
        case established(TLSSession)

        var isHandshaking: Bool {
            if case .handshaking = self { true } else { false }
        }

        var session: TLSSession? {
            switch self {
            case .plain: nil
            case .handshaking(let session, _), .established(let session): session
            }
        }
    }

    let id: ConnectionID
    let zone: String
    let peer: SocketAddress
    let tcp: TCPConnection
    /// We dialled it (carrier leg) rather than accepted it.
    let outbound: Bool
    var security: Security
    var framer: SIPStreamFramer
    var idleTimer: TimerHandle?
    /// RFC 5626 pings, on connections we dialled.
    var keepAliveTimer: TimerHandle?
    /// Armed while a message is incomplete: when it fires, the peer took longer than
    /// `messageDeadline` for one message (slowloris) and the connection is closed.
    var messageDeadlineTimer: TimerHandle?
    var isOpen = true

    init(id: ConnectionID, zone: String, peer: SocketAddress, tcp: TCPConnection, outbound: Bool,
         security: Security, maxMessageBytes: Int) {
        self.id = id
        self.zone = zone
        self.peer = peer
        self.tcp = tcp
        self.outbound = outbound
        self.security = security
        self.framer = SIPStreamFramer(maxMessageBytes: maxMessageBytes)
    }

    var key: PeerKey { PeerKey(zone: zone, peer: peer, transport: transport) }
    var transport: TransportProtocol { security.session == nil ? .tcp : .tls }

    /// Sends application bytes: straight to the socket, or encrypted first. TLS data written
    /// during the handshake waits in the session and leaves when it completes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(TLSFailure) -> Bool {
        guard let session = security.session else { return tcp.write(bytes) }
        try session.send(bytes)
        return flushTLS(session)
    }

    func write(_ bytes: [UInt8]) throws(TLSFailure) -> Bool {
        guard let session = security.session else { return tcp.write(bytes) }
        let sent = bytes.withUnsafeBytes { raw in Result { () throws(TLSFailure) in try session.send(raw) } }
        try sent.get()
        return flushTLS(session)
    }

    /// Hands the session's pending records (handshake, data, alerts) to the socket.
    @discardableResult
    func flushTLS(_ session: TLSSession) -> Bool {
        var written = true
        session.drainOutbound { chunk in
            if !tcp.write(chunk) { written = false }
        }
        return written
    }
}

/// Connections are reused per (zone, remote address, transport): the same carrier reached from
/// two zones must not share a socket bound to the wrong network, and a TCP connection to a port
/// must never carry what was meant to go encrypted.
struct PeerKey: Hashable {
    let zone: String
    let peer: SocketAddress
    let transport: TransportProtocol
}

/// A network side's sockets. A class so loop handlers can hold it unowned while the layer's
/// table is the owner.
final class TransportZone {
    let name: String
    /// The bind IP with port 0: the source address for connections dialled from this zone.
    let bindHost: SocketAddress
    var udp: UDPSocket?
    /// Stream listeners by transport (TCP and TLS).
    var listeners: [TransportProtocol: TCPListener] = [:]
    /// Set while a listener is paused after an accept failure (EMFILE).
    var listenerResume: [TransportProtocol: TimerHandle] = [:]

    init(name: String, bindHost: SocketAddress) {
        self.name = name
        self.bindHost = bindHost
    }
}
