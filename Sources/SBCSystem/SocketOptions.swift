import Glibc
import CSBCLinux

/// Socket setup shared by UDP and TCP, kept in one place so every socket gets the same flags
/// (nonblocking and close-on-exec at creation, never toggled later with fcntl).
enum SocketSetup {
    static func open(family: Int32, type: Int32, context: String) throws(SystemError) -> Int32 {
        try Syscall.checked("socket", context: context) { csbc_socket(family, type) }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32,
                          _ label: String, context: String) throws(SystemError) {
        try Syscall.checked("setsockopt", context: "\(label) \(context)") {
            csbc_set_int_option(fd, level, name, value)
        }
    }

    static func intOption(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        return csbc_get_int_option(fd, level, name, &value) == 0 ? value : nil
    }

    static func bind(_ fd: Int32, to address: SocketAddress) throws(SystemError) {
        _ = try address.withSockAddr { (sa, length) throws(SystemError) in
            try Syscall.checked("bind", context: "\(address)") { Glibc.bind(fd, sa, length) }
        }
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return rc == 0 ? SocketAddress(storage: storage) : nil
    }

    static func peerAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return rc == 0 ? SocketAddress(storage: storage) : nil
    }
}
