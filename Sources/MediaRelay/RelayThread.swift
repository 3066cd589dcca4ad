import Glibc
import CSBCLinux
import SBCSystem

/// Starting the relay's own threads (the workers and the SRTP setup thread).
///
/// Real pthreads rather than tasks: a worker blocks in epoll_wait and the setup thread in poll or
/// building SRTP contexts, which would starve the cooperative pool; a named thread shows in
/// `top -H` and core dumps.
enum RelayThread {
    private final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts a thread named `name` (at most 15 bytes) running `body`. On failure nothing runs
    /// and `body` is released; `context` names the thread in the error.
    static func start(name: String, context: String,
                      _ body: @escaping @Sendable () -> Void) throws(SystemError) -> pthread_t {
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { argument in
            let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
            _ = csbc_set_thread_name(start.name)
            start.body()
            return nil
        }, start)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(start).release()
            throw SystemError(syscall: "pthread_create", errno: rc, context: context)
        }
        return tid
    }
}
