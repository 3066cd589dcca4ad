import SBCSystem
import SIPCore

/// Per-connection state the transport keeps for SIP over TCP: the socket, the framer that cuts
/// its byte stream into messages, and the idle timer.
///
/// The idle timer is not re-armed on every byte: it fires at most once per `tcpIdleTimeout` and
/// re-schedules itself from `lastActivity`, so a busy connection costs one timer per timeout
/// period rather than a heap operation per message.
final class StreamConnection {
    let id: ConnectionID
    let zone: String
    let peer: SocketAddress
    let tcp: TCPConnection
    /// We dialled it (carrier leg) rather than accepted it.
    let outbound: Bool
    var framer: SIPStreamFramer
    var idleTimer: TimerHandle?
    var isOpen = true

    init(id: ConnectionID, zone: String, peer: SocketAddress, tcp: TCPConnection, outbound: Bool,
         maxMessageBytes: Int) {
        self.id = id
        self.zone = zone
        self.peer = peer
        self.tcp = tcp
        self.outbound = outbound
        self.framer = SIPStreamFramer(maxMessageBytes: maxMessageBytes)
    }

    var key: PeerKey { PeerKey(zone: zone, peer: peer) }
}

/// Connections are reused per (zone, remote address): the same carrier reached from two zones
/// must not share a socket bound to the wrong network.
struct PeerKey: Hashable {
    let zone: String
    let peer: SocketAddress
}

/// A network side's sockets. A class so loop handlers can hold it unowned while the layer's
/// table is the owner.
final class TransportZone {
    let name: String
    /// The bind IP with port 0: the source address for connections dialled from this zone.
    let bindHost: SocketAddress
    var udp: UDPSocket?
    var listener: TCPListener?
    /// Set while the listener is paused after an accept failure (EMFILE).
    var listenerResume: TimerHandle?

    init(name: String, bindHost: SocketAddress) {
        self.name = name
        self.bindHost = bindHost
    }
}
