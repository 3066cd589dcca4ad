import Glibc
import Testing
import CSBCLinux
@testable import SBCSystem

@Suite("Syscall wrapper and SystemError")
struct SyscallTests {
    @Test("EINTR is retried until the call succeeds")
    func eintrRetries() throws {
        var calls = 0
        let result = try Syscall.retrying("fake") { () -> Int32 in
            calls += 1
            if calls < 3 {
                csbc_set_errno(EINTR)
                return -1
            }
            return 42
        }
        #expect(calls == 3)
        #expect(result.value == 42)
    }

    @Test("EAGAIN and EWOULDBLOCK become .wouldBlock", arguments: [EAGAIN, EWOULDBLOCK])
    func eagain(code: Int32) throws {
        let result = try Syscall.retrying("fake") { () -> Int32 in
            csbc_set_errno(code)
            return -1
        }
        #expect(result.value == nil)
        guard case .wouldBlock = result else {
            Issue.record("expected .wouldBlock")
            return
        }
    }

    @Test("other errno throws a SystemError with syscall, errno, strerror and context")
    func throwsWithContext() {
        #expect {
            _ = try Syscall.retrying("close", context: "closing fd -1") { Glibc.close(-1) }
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.syscall == "close" && error.errno == EBADF && error.context == "closing fd -1"
                && error.message == "Bad file descriptor"
                && error.description.contains("closing fd -1")
        }
    }

    @Test("checked turns EAGAIN into a thrown error")
    func checkedEagain() {
        #expect(throws: SystemError(syscall: "fake", errno: EAGAIN, context: "ctx")) {
            try Syscall.checked("fake", context: "ctx") { () -> Int32 in
                csbc_set_errno(EAGAIN)
                return -1
            }
        }
    }

    @Test("a real nonblocking read on an empty eventfd would block")
    func realEventFD() throws {
        let fd = try Syscall.checked("eventfd") { csbc_eventfd(0) }
        defer { _ = Glibc.close(fd) }
        var value: UInt64 = 0
        let empty = try Syscall.retrying("eventfd_read") { csbc_eventfd_read(fd, &value) }
        #expect(empty.value == nil)
        _ = csbc_eventfd_write(fd, 5)
        let full = try Syscall.retrying("eventfd_read") { csbc_eventfd_read(fd, &value) }
        #expect(full.value == 0)
        #expect(value == 5)
    }

    @Test("unreachable classification drives failover")
    func unreachable() {
        #expect(SystemError(syscall: "sendto", errno: ECONNREFUSED).isUnreachable)
        #expect(SystemError(syscall: "sendto", errno: EHOSTUNREACH).isUnreachable)
        #expect(!SystemError(syscall: "sendto", errno: EMSGSIZE).isUnreachable)
        let error = SystemError(syscall: "connect", errno: ECONNREFUSED, context: "a").with(context: "b")
        #expect(error.context == "b" && error.errno == ECONNREFUSED && error.syscall == "connect")
    }
}

@Suite("MonotonicInstant")
struct MonotonicInstantTests {
    @Test("arithmetic with Duration, saturating at zero")
    func arithmetic() {
        let t = MonotonicInstant(nanoseconds: 5_000_000_000)
        #expect((t + .milliseconds(1500)).nanoseconds == 6_500_000_000)
        #expect((t - .seconds(2)).nanoseconds == 3_000_000_000)
        #expect((t - .seconds(10)).nanoseconds == 0)
        #expect((t + .milliseconds(250)) - t == .milliseconds(250))
        #expect(t - (t + .seconds(1)) == .seconds(-1))
        #expect(Duration.microseconds(1500).millisecondsRoundedUp == 2)
    }

    @Test("the clock moves forward")
    func monotonic() {
        let a = MonotonicInstant.now()
        var x = 0
        for i in 0..<10_000 { x &+= i }
        let b = MonotonicInstant.now()
        #expect(b >= a)
        #expect(x > 0)
    }
}
