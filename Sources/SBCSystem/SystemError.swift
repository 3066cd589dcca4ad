import Glibc
import CSBCLinux

/// A failed system call, carried as a value so callers can decide on policy (retry, fail over,
/// close) from `errno` rather than from a message string.
///
/// `context` names what we were doing ("bind 0.0.0.0:5060", "send to 10.0.0.1:5060/udp"): a
/// bare "ECONNREFUSED" in a log is useless once many sockets are open.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The syscall (or library call) that failed, e.g. "recvmmsg".
    public let syscall: String
    public let errno: Int32
    /// `strerror(errno)` captured at the failure, so it survives later errno changes.
    public let message: String
    public let context: String

    public init(syscall: String, errno: Int32, context: String = "") {
        self.syscall = syscall
        self.errno = errno
        self.message = SystemError.describe(errno: errno)
        self.context = context
    }

    /// Captures the thread's current errno; call it immediately after the failing syscall.
    public static func current(_ syscall: String, context: String = "") -> SystemError {
        SystemError(syscall: syscall, errno: csbc_errno(), context: context)
    }

    public var description: String {
        let base = "\(syscall) failed: \(message) (errno \(errno))"
        return context.isEmpty ? base : "\(base) [\(context)]"
    }

    /// The peer or network rejected the destination: ICMP port/host unreachable, RST on
    /// connect, no route. These are the errors that should trigger carrier failover.
    public var isUnreachable: Bool {
        switch errno {
        case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ECONNRESET, EHOSTDOWN, ENETDOWN, ETIMEDOUT:
            return true
        default:
            return false
        }
    }

    /// Returns a copy naming a more specific context, keeping syscall and errno.
    public func with(context: String) -> SystemError {
        SystemError(syscall: syscall, errno: errno, message: message, context: context)
    }

    private init(syscall: String, errno: Int32, message: String, context: String) {
        self.syscall = syscall
        self.errno = errno
        self.message = message
        self.context = context
    }

    private static func describe(errno: Int32) -> String {
        // glibc's strerror returns static strings for known errnos and a thread-local buffer
        // otherwise, so it is safe here without strerror_r's GNU/XSI signature ambiguity.
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }
}

/// What a nonblocking syscall produced when it did not fail outright.
public enum SyscallResult<Value: Sendable>: Sendable {
    case value(Value)
    /// EAGAIN/EWOULDBLOCK: not an error on a nonblocking descriptor, just "come back on readiness".
    case wouldBlock

    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }
}

/// The single place where the EINTR/EAGAIN policy lives, so every socket and fd call agrees.
public enum Syscall {
    /// Runs `body` until it stops failing with EINTR.
    ///
    /// `body` follows the C convention: a negative result means failure with errno set. EAGAIN and
    /// EWOULDBLOCK become `.wouldBlock`; any other errno throws a `SystemError` naming `name` and
    /// `context`.
    @inline(__always)
    public static func retrying<T: BinaryInteger & Sendable>(
        _ name: String, context: @autoclosure () -> String = "", _ body: () -> T
    ) throws(SystemError) -> SyscallResult<T> {
        while true {
            let result = body()
            if result >= 0 { return .value(result) }
            let err = csbc_errno()
            if err == EINTR { continue }
            if err == EAGAIN || err == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(syscall: name, errno: err, context: context())
        }
    }

    /// `retrying` for calls where EAGAIN cannot happen or is itself a failure (bind, listen,
    /// epoll_ctl): the same policy, with `.wouldBlock` turned into a thrown EAGAIN.
    @inline(__always)
    @discardableResult
    public static func checked<T: BinaryInteger & Sendable>(
        _ name: String, context: @autoclosure () -> String = "", _ body: () -> T
    ) throws(SystemError) -> T {
        switch try retrying(name, context: context(), body) {
        case .value(let v): return v
        case .wouldBlock: throw SystemError(syscall: name, errno: EAGAIN, context: context())
        }
    }
}
