import Glibc
import CSBCLinux

/// A nonblocking listening TCP socket. It does not register itself: the owner adds `fd` to its
/// loop and calls `accept()` until it returns nil, so accept policy (limits, ACLs) stays with
/// the owner.
public final class TCPListener {
    public let fd: Int32
    public let localAddress: SocketAddress
    private var closed = false

    public init(bind address: SocketAddress, backlog: Int32 = 1024) throws(SystemError) {
        let fd = try SocketSetup.open(family: address.family, type: Int32(SOCK_STREAM.rawValue),
                                      context: "tcp listen \(address)")
        do throws(SystemError) {
            try SocketSetup.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", context: "\(address)")
            try SocketSetup.bind(fd, to: address)
            try Syscall.checked("listen", context: "\(address)") { Glibc.listen(fd, backlog) }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.localAddress = SocketSetup.localAddress(fd) ?? address
    }

    deinit {
        close()
    }

    /// Accepts one pending connection as a nonblocking descriptor, or nil when none is pending.
    ///
    /// Errors that concern only the aborted connection (ECONNABORTED, EPROTO) are skipped;
    /// EMFILE/ENFILE are thrown so the owner can log and back off instead of spinning.
    public func accept() throws(SystemError) -> (fd: Int32, peer: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(0)
        while true {
            do throws(SystemError) {
                let result = try Syscall.retrying("accept4", context: "tcp \(localAddress)") {
                    csbc_accept(fd, &storage, &length)
                }
                guard case .value(let client) = result else { return nil }
                guard let peer = SocketAddress(storage: storage) else {
                    _ = Glibc.close(client)
                    continue
                }
                return (client, peer)
            } catch {
                if error.errno == ECONNABORTED || error.errno == EPROTO { continue }
                throw error
            }
        }
    }

    /// Closes the descriptor. The owner must unregister it from its loop first.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }
}
