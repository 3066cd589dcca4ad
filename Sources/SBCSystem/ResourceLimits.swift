import Glibc

/// Process resource limits the SBC depends on.
public enum ResourceLimits {
    /// Raises the soft limit on open files to the hard limit and returns the new soft limit.
    ///
    /// Why: every relayed audio call holds four UDP sockets (RTP and RTCP on each side), and the
    /// usual soft limit of 1024 would make socket creation fail at about 250 calls. The hard limit
    /// is what the administrator allowed (systemd's `LimitNOFILE`), so taking all of it is safe.
    @discardableResult
    public static func raiseOpenFileLimit() throws(SystemError) -> UInt64 {
        var limit = rlimit()
        _ = try Syscall.checked("getrlimit", context: "RLIMIT_NOFILE") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        guard limit.rlim_cur < limit.rlim_max else { return UInt64(limit.rlim_cur) }
        limit.rlim_cur = limit.rlim_max
        _ = try Syscall.checked("setrlimit", context: "RLIMIT_NOFILE") { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        return UInt64(limit.rlim_cur)
    }
}
