import CSBCLinux

/// Reading a socket's error queue (IP_RECVERR), shared by the SIP UDP socket and the media
/// relay so there is one reader and one EINTR/EAGAIN policy for it.
///
/// Entries are taken into a caller-owned `csbc_socket_error_info`, so a burst of ICMP errors
/// (a dead media party answers every packet) costs no allocation per entry.
public enum SocketErrorQueue {
    /// Takes the oldest entry into `info`; false when the queue is empty.
    @inline(__always)
    public static func take(_ fd: Int32, into info: inout csbc_socket_error_info) throws(SystemError) -> Bool {
        let result = try Syscall.retrying("recvmsg", context: "MSG_ERRQUEUE fd \(fd)") {
            csbc_recv_error_queue(fd, &info)
        }
        return result.value != nil
    }
}

extension csbc_socket_error_info {
    /// An ICMP message said the destination cannot be reached at all: port unreachable (nobody
    /// listens: the party's process is gone), host or network unreachable (including a neighbour
    /// that stopped answering ARP). Path-MTU and locally raised errors are not: the party may be
    /// alive and well.
    public var isICMPUnreachable: Bool {
        (origin == CSBC_SO_EE_ORIGIN_ICMP || origin == CSBC_SO_EE_ORIGIN_ICMP6) && csbc_is_unreachable_errno(error) != 0
    }
}
