import Hummingbird
import Logging

/// The SBC's HTTP admin API (Hummingbird 2) on its own threads.
///
/// It never touches signalling state: every request goes through `AdminBackend`, whose
/// implementation hops to the signalling loop, so a slow or busy admin client cannot stall SIP.
/// `run()` serves until `shutdown()` is called or its task is cancelled; `waitUntilListening()`
/// tells a caller (the SBC's start-up, tests) when the socket is bound and on which port.
public final class AdminServer: Sendable {
    private let listen: String
    private let routes: AdminRoutes
    private let logger: Logger
    private let state = LockedState(RunState())

    private struct RunState {
        var task: Task<Void, any Error>?
        var shutdownRequested = false
        var finished = false
        var port: Int?
        var waiters: [CheckedContinuation<Int?, Never>] = []
    }

    /// - Parameters:
    ///   - listen: `host:port`; port 0 picks a free port (see `waitUntilListening()`).
    ///   - tokens: accepted bearer tokens, by SHA-256 hash.
    ///   - idempotency: where idempotent writes keep their first response; nil turns
    ///     `Idempotency-Key` handling off (the header is then validated but not honoured).
    public init(
        listen: String,
        tokens: [AdminToken],
        backend: any AdminBackend,
        idempotency: (any IdempotencyCache)? = InMemoryIdempotencyCache(),
        metrics: SBCMetrics,
        logger: Logger
    ) {
        self.listen = listen
        self.logger = logger
        self.routes = AdminRoutes(backend: backend, tokens: tokens, idempotency: idempotency, metrics: metrics, logger: logger)
    }

    /// Swaps the accepted tokens (configuration reload): the next request is checked against them.
    public func replaceTokens(_ tokens: [AdminToken]) {
        routes.replaceTokens(tokens)
    }

    /// Serves until `shutdown()` or cancellation; throws if the address is invalid or cannot be bound.
    public func run() async throws {
        defer { finish(port: nil) }
        guard let address = ListenAddress(parsing: listen) else {
            throw AdminServerError.invalidListenAddress(listen)
        }
        let application = Application(
            router: routes.makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: "SwiftSBC-admin"
            ),
            onServerRunning: { [weak self] channel in
                let port = channel.localAddress?.port
                self?.logger.notice("admin API listening", metadata: ["address": "\(address.host):\(port ?? address.port)"])
                self?.listening(port: port ?? address.port)
            },
            logger: logger
        )
        let task = Task { try await application.run() }
        let stopAtOnce = state.withLock { state in
            state.task = task
            return state.shutdownRequested
        }
        if stopAtOnce { task.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch is CancellationError {
            // shutdown() or the caller's cancellation: a normal stop.
        }
        logger.notice("admin API stopped")
    }

    /// Stops the server; `run()` returns once open connections are closed. Safe to call from
    /// any thread, before or after `run()`, more than once.
    public func shutdown() {
        let task = state.withLock { state in
            state.shutdownRequested = true
            return state.task
        }
        task?.cancel()
    }

    /// The bound port once the server is listening, or nil if it stopped (or failed to bind)
    /// before listening.
    public func waitUntilListening() async -> Int? {
        await withCheckedContinuation { continuation in
            let ready: Int?? = state.withLock { state in
                if let port = state.port { return .some(port) }
                if state.finished { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func listening(port: Int) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func finish(port: Int?) {
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }
}
