import Glibc
import CSBCLinux

extension UDPSocket {
    /// `SO_MEMINFO` (Linux 3.9+): the socket's memory accounting, `SK_MEMINFO_VARS` 32-bit words.
    private static let memInfoOption: Int32 = 55
    private static let memInfoWords = 9
    /// `SO_RCVBUFFORCE`: like SO_RCVBUF but above `net.core.rmem_max`, for CAP_NET_ADMIN.
    private static let receiveBufferForceOption: Int32 = 33

    /// Bytes waiting in the receive queue (kernel accounting, datagrams plus their overhead) and
    /// the receive buffer's size: how close the kernel is to dropping datagrams. Nil if the
    /// kernel does not say.
    public var receiveQueue: (queuedBytes: Int, bufferBytes: Int)? {
        var words = [UInt32](repeating: 0, count: Self.memInfoWords)
        var length = socklen_t(Self.memInfoWords * MemoryLayout<UInt32>.size)
        let rc = words.withUnsafeMutableBytes { raw in
            getsockopt(fd, SOL_SOCKET, Self.memInfoOption, raw.baseAddress, &length)
        }
        guard rc == 0, length >= 8 else { return nil }
        return (Int(words[0]), Int(words[1]))
    }

    /// Sets the receive buffer to `bytes`, above `net.core.rmem_max` when the process may
    /// (SO_RCVBUFFORCE), else as far as the kernel allows. Returns the effective size (the
    /// kernel reports double the request, its bookkeeping included).
    @discardableResult
    public func setReceiveBuffer(bytes: Int32) -> Int32 {
        if csbc_set_int_option(fd, SOL_SOCKET, Self.receiveBufferForceOption, bytes) != 0 {
            _ = csbc_set_int_option(fd, SOL_SOCKET, SO_RCVBUF, bytes)
        }
        return bufferSizes.receive
    }
}
