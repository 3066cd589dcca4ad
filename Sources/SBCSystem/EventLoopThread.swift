import Glibc
import CSBCLinux

/// A dedicated OS thread running one `EventLoop`, for the media workers and for tests.
///
/// A real pthread rather than a Swift task: the loop blocks in epoll_wait indefinitely, which
/// would starve the cooperative pool, and a named thread shows up in `top -H` and core dumps.
public final class EventLoopThread: Sendable {
    public let loop: EventLoop
    private let thread: pthread_t

    private final class Start: @unchecked Sendable {
        let loop: EventLoop
        let name: String
        init(loop: EventLoop, name: String) {
            self.loop = loop
            self.name = name
        }
    }

    /// Creates the loop and starts its thread at once, so from the caller's side the loop is
    /// already running: set it up through `loop.execute`, never by calling `register` directly.
    /// `name` is truncated to 15 bytes by Linux.
    public init(name: String) throws(SystemError) {
        let loop = try EventLoop()
        self.loop = loop
        let start = Unmanaged.passRetained(Start(loop: loop, name: name)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let start = Unmanaged<Start>.fromOpaque(arg!).takeRetainedValue()
            _ = csbc_set_thread_name(String(start.name.prefix(15)))
            do {
                try start.loop.run()
            } catch {
                fatalError("event loop \(start.name) failed: \(error)")
            }
            return nil
        }, start)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(start).release()
            throw SystemError(syscall: "pthread_create", errno: rc, context: name)
        }
        thread = tid
    }

    /// Stops the loop and waits for its thread to exit. Call once, never from the loop thread.
    public func stopAndJoin() {
        precondition(!loop.inEventLoop, "stopAndJoin() from the loop's own thread would deadlock")
        loop.stop()
        _ = pthread_join(thread, nil)
    }
}
