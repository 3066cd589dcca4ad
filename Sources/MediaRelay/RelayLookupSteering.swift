import Glibc
import CSBCLinux
import Logging
import SBCSystem
import Synchronization

/// `media.socket_layout: lookup`: one receive socket per worker for all of the worker's IPv4
/// ports, instead of one read socket per port.
///
/// A BPF_PROG_TYPE_SK_LOOKUP program (written out in relay.c, loaded with bpf(2) and linked to
/// the network namespace) runs before the kernel's own socket lookup for every UDP packet. For
/// IPv4 to one of the relay's media addresses and a port of its range it reads the port's worker
/// from an ARRAY map (index `port - portMin`) and assigns the packet to that worker's receive
/// socket, held in a SOCKMAP slot per worker. Workers map a port when they bind its socket and
/// unmap it before closing it, so a port no session holds is never steered: its packets get the
/// kernel's normal treatment (ICMP port unreachable). The port sockets stay bound (the port stays
/// reserved, replies leave from it, ICMP errors land on it) but are only registered for EPOLLERR.
///
/// Everything here is created once, before the workers start, and closed by `close()` after
/// they stopped; workers only update the port map (from their own thread, for their own ports).
final class RelayLookupSteering: Sendable {
    let portMin: Int
    let portCount: Int
    /// Steered IPv4 addresses, host order; empty means any local address.
    let addresses: [UInt32]
    /// One per worker, indexed like the workers.
    let receiveFDs: [Int32]
    private let portMap: Int32
    private let sockMap: Int32
    private let program: Int32
    private let link: Int32
    private let closed = Mutex(false)

    /// Receive buffer of a worker's socket: it takes what all of the worker's ports would have.
    static let receiveBufferBytes: Int32 = 8 << 20

    /// The steering for `settings`, or nil after logging why not (once; the caller runs per_port).
    static func open(settings: MediaRelaySettings, workers: Int, logger: Logger) -> RelayLookupSteering? {
        do throws(SystemError) {
            return try RelayLookupSteering(settings: settings, workers: workers)
        } catch {
            logger.warning("media socket_layout lookup unavailable (needs CAP_BPF and CAP_NET_ADMIN, Linux 5.9+); using per_port",
                           metadata: ["error": "\(error)"])
            return nil
        }
    }

    private init(settings: MediaRelaySettings, workers: Int) throws(SystemError) {
        guard let range = settings.portRange, range.lowerBound >= 1, range.upperBound <= 65535 else {
            throw SystemError(syscall: "sk_lookup", errno: EINVAL, context: "no media port range")
        }
        var v4: [UInt32] = []
        var any = false
        for host in settings.mediaAddresses {
            guard let address = try? SocketAddress(host: host, port: 0), case .v4(let ip) = address.ip else { continue }
            if ip == 0 { any = true } else if !v4.contains(ip) { v4.append(ip) }
        }
        guard any || !v4.isEmpty else {
            throw SystemError(syscall: "sk_lookup", errno: EAFNOSUPPORT, context: "no IPv4 media address")
        }
        guard any || v4.count <= 16 else {
            throw SystemError(syscall: "sk_lookup", errno: E2BIG, context: "more than 16 IPv4 media addresses")
        }
        let steered = any ? [] : v4
        let count = range.upperBound - range.lowerBound + 1
        var portMap: Int32 = -1
        var sockMap: Int32 = -1
        try Syscall.checked("bpf", context: "sk_lookup maps (\(count) ports, \(workers) workers)") {
            csbc_lookup_maps_create(UInt32(count), UInt32(workers), &portMap, &sockMap)
        }
        var opened: [Int32] = []
        var program: Int32 = -1
        var link: Int32 = -1
        do throws(SystemError) {
            let bindAddress = steered.first ?? 0
            for worker in 0..<workers {
                let fd = try Syscall.checked("bind", context: "sk_lookup receive socket of media worker \(worker)") {
                    csbc_lookup_socket_open(bindAddress.bigEndian, RelayLookupSteering.receiveBufferBytes,
                                            UInt16(range.lowerBound), UInt16(range.upperBound))
                }
                opened.append(fd)
                try Syscall.checked("bpf", context: "SOCKMAP slot \(worker)") {
                    csbc_lookup_sockmap_set(sockMap, UInt32(worker), fd)
                }
            }
            let networkOrder = steered.map(\.bigEndian)
            link = try Syscall.checked("bpf", context: "sk_lookup program load and link") {
                networkOrder.withUnsafeBufferPointer { addresses in
                    csbc_lookup_attach(portMap, sockMap, addresses.baseAddress, Int32(addresses.count),
                                       UInt16(range.lowerBound), UInt16(range.upperBound), &program, nil, 0)
                }
            }
        } catch {
            for fd in opened { _ = Glibc.close(fd) }
            _ = Glibc.close(portMap)
            _ = Glibc.close(sockMap)
            throw error
        }
        self.portMin = range.lowerBound
        self.portCount = count
        self.addresses = steered
        self.receiveFDs = opened
        self.portMap = portMap
        self.sockMap = sockMap
        self.program = program
        self.link = link
    }

    /// Whether a port socket bound to `address` is one the program steers.
    func covers(_ address: SocketAddress) -> Bool {
        guard case .v4(let ip) = address.ip else { return false }
        let offset = Int(address.port) - portMin
        guard offset >= 0, offset < portCount else { return false }
        return addresses.isEmpty || addresses.contains(ip)
    }

    /// Steers `port` (covered) to `worker`'s receive socket.
    func steer(port: UInt16, worker: Int) throws(SystemError) {
        try Syscall.checked("bpf", context: "sk_lookup map port \(port)") {
            csbc_lookup_port_set(portMap, UInt32(Int(port) - portMin), UInt32(worker))
        }
    }

    /// Stops steering `port`; best effort (the map outlives every worker).
    func unsteer(port: UInt16) {
        _ = csbc_lookup_port_set(portMap, UInt32(Int(port) - portMin), CSBC_LOOKUP_NO_WORKER)
    }

    /// Detaches the program (closing the link) and closes the maps and receive sockets. After the
    /// workers stopped; idempotent.
    func close() {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        _ = Glibc.close(link)
        _ = Glibc.close(program)
        for fd in receiveFDs { _ = Glibc.close(fd) }
        _ = Glibc.close(portMap)
        _ = Glibc.close(sockMap)
    }

    deinit { close() }
}
