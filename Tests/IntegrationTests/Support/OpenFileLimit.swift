// The test process's own open-file limit, for a test that holds thousands of sockets at once.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit, raised to its hard limit for a test that holds thousands of
/// sockets, and put back afterwards (lowering the soft limit needs no privilege).
struct OpenFileLimit {
    let original: rlimit

    /// Raises the soft limit to the hard one; returns the limit now in force.
    static func raise() throws -> (restore: OpenFileLimit, soft: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw SocketError(code: errno, what: "getrlimit") }
        let original = limit
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw SocketError(code: errno, what: "setrlimit") }
        return (OpenFileLimit(original: original), Int(clamping: limit.rlim_cur))
    }

    func restore() {
        var limit = original
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
