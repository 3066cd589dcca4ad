import Glibc
import SBCSystem

/// Loop tests run the loop on the test's own thread, bounded by a watchdog timer so a broken
/// test fails instead of hanging the suite.
enum LoopHarness {
    /// Runs `loop` until something calls `stop()` or `timeout` passes. Returns false on timeout.
    @discardableResult
    static func run(_ loop: EventLoop, timeout: Duration = .seconds(5)) throws -> Bool {
        var timedOut = false
        let watchdog = loop.schedule(after: timeout) {
            timedOut = true
            loop.stop()
        }
        try loop.run()
        loop.cancel(watchdog)
        return !timedOut
    }

    /// Polls `condition` every few milliseconds on the loop and stops the loop when it holds.
    static func stop(_ loop: EventLoop, when condition: @escaping () -> Bool) {
        func check() {
            if condition() {
                loop.stop()
            } else {
                loop.schedule(after: .milliseconds(2), check)
            }
        }
        loop.schedule(after: .zero, check)
    }
}

extension SocketAddress {
    static func localhost(_ port: UInt16 = 0) -> SocketAddress {
        .loopback(port: port)
    }
}

/// A loopback UDP port with nothing listening: bind, read the port, close.
func closedUDPPort() throws -> UInt16 {
    let socket = try UDPSocket(bind: .localhost())
    let port = socket.localAddress.port
    socket.close()
    return port
}

/// A loopback TCP port with nothing listening.
func closedTCPPort() throws -> UInt16 {
    let listener = try TCPListener(bind: .localhost())
    let port = listener.localAddress.port
    listener.close()
    return port
}
