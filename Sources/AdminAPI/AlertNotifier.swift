import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends alert payloads (trunk down, failover, ...) to an HTTP webhook as JSON.
///
/// `notify` only enqueues into a bounded buffer and returns, so it is safe on the signalling
/// thread: a slow or dead webhook costs queued memory up to the bound, never time. When the
/// buffer is full the *oldest* pending alert is dropped (the newest state is the one an
/// on-call engineer needs) and counted in `statistics.dropped`. One background task delivers
/// in order, retrying failures (transport errors, 408, 429, 5xx) with exponential backoff;
/// other 4xx answers are not retried because repeating the same body cannot fix them.
public final class AlertNotifier: Sendable {
    /// What happened to the alerts so far (for logs, metrics and tests).
    public struct Statistics: Sendable, Equatable {
        public var enqueued = 0
        public var delivered = 0
        public var failed = 0
        public var dropped = 0
        /// HTTP attempts made, retries included.
        public var attempts = 0
    }

    private let continuation: AsyncStream<[String: String]>.Continuation
    private let worker: Task<Void, Never>
    private let stats: LockedState<Statistics>
    private let logger: Logger

    /// - Parameters:
    ///   - url: the webhook (http or https).
    ///   - timeout: per attempt.
    ///   - maxAttempts: attempts per alert, first one included (at least 1).
    ///   - backoff: wait before the second attempt; doubled before each further one (capped at 5 minutes).
    ///   - capacity: alerts buffered while the webhook is slow; older ones are dropped beyond it.
    public init(
        url: String,
        timeout: Duration,
        maxAttempts: Int,
        backoff: Duration,
        logger: Logger,
        capacity: Int = 256
    ) {
        let stats = LockedState(Statistics())
        let (stream, continuation) = AsyncStream.makeStream(
            of: [String: String].self, bufferingPolicy: .bufferingNewest(max(1, capacity))
        )
        let delivery = Delivery(
            url: URL(string: url).flatMap { ["http", "https"].contains($0.scheme?.lowercased() ?? "") ? $0 : nil },
            timeout: timeout, maxAttempts: max(1, maxAttempts), backoff: backoff, stats: stats, logger: logger
        )
        if delivery.url == nil {
            logger.error("alert webhook URL is not http(s); alerts will be counted as failed", metadata: ["url": "\(url)"])
        }
        self.stats = stats
        self.logger = logger
        self.continuation = continuation
        self.worker = Task {
            for await payload in stream {
                await delivery.deliver(payload)
            }
            delivery.close()
        }
    }

    deinit {
        continuation.finish()
    }

    /// Enqueues an alert and returns at once; never blocks, never throws.
    public func notify(_ payload: [String: String]) {
        switch continuation.yield(payload) {
        case .enqueued:
            stats.withLock { $0.enqueued += 1 }
        case .dropped:
            let dropped = stats.withLock { stats in
                stats.enqueued += 1
                stats.dropped += 1
                return stats.dropped
            }
            if dropped == 1 || dropped % 100 == 0 {
                logger.warning("alert queue full: oldest alert dropped", metadata: ["dropped_total": "\(dropped)"])
            }
        case .terminated:
            stats.withLock { $0.dropped += 1 }
        @unknown default:
            stats.withLock { $0.dropped += 1 }
        }
    }

    /// Counts so far.
    public var statistics: Statistics {
        stats.withLock { $0 }
    }

    /// Stops accepting alerts and waits until those already queued are delivered or given up.
    public func drain() async {
        continuation.finish()
        await worker.value
    }

    /// Stops at once: queued alerts and retries in progress are abandoned.
    public func shutdown() {
        continuation.finish()
        worker.cancel()
    }
}

extension AlertNotifier {
    /// The delivery side, owned by the background task (kept apart from `AlertNotifier` so the
    /// task does not retain the notifier and `deinit` can end it).
    fileprivate struct Delivery: Sendable {
        let url: URL?
        let timeout: Duration
        let maxAttempts: Int
        let backoff: Duration
        let stats: LockedState<Statistics>
        let logger: Logger
        let session: URLSession

        init(url: URL?, timeout: Duration, maxAttempts: Int, backoff: Duration, stats: LockedState<Statistics>, logger: Logger) {
            self.url = url
            self.timeout = timeout
            self.maxAttempts = maxAttempts
            self.backoff = backoff
            self.stats = stats
            self.logger = logger
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = timeout.seconds
            configuration.timeoutIntervalForResource = timeout.seconds
            self.session = URLSession(configuration: configuration)
        }

        func deliver(_ payload: [String: String]) async {
            guard let url else {
                stats.withLock { $0.failed += 1 }
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(payload)) ?? Data("{}".utf8)
            var request = URLRequest(url: url, timeoutInterval: timeout.seconds)
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")

            var delay = backoff
            for attempt in 1...maxAttempts {
                if Task.isCancelled { break }
                stats.withLock { $0.attempts += 1 }
                let outcome = await post(request)
                switch outcome {
                case .delivered:
                    stats.withLock { $0.delivered += 1 }
                    return
                case .permanent(let status):
                    logger.error("alert webhook refused the alert", metadata: ["status": "\(status)"])
                    stats.withLock { $0.failed += 1 }
                    return
                case .retryable(let problem):
                    logger.warning(
                        "alert webhook attempt failed",
                        metadata: ["attempt": "\(attempt)", "max_attempts": "\(maxAttempts)", "problem": "\(problem)"]
                    )
                }
                if attempt < maxAttempts {
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(300))
                }
            }
            logger.error("alert not delivered: attempts exhausted", metadata: ["attempts": "\(maxAttempts)"])
            stats.withLock { $0.failed += 1 }
        }

        func close() {
            session.finishTasksAndInvalidate()
        }

        private enum Outcome {
            case delivered
            case retryable(String)
            case permanent(Int)
        }

        /// One POST; completion-handler API because it is the one every Foundation here has.
        private func post(_ request: URLRequest) async -> Outcome {
            await withCheckedContinuation { continuation in
                let task = session.dataTask(with: request) { _, response, error in
                    if let error {
                        continuation.resume(returning: .retryable(error.localizedDescription))
                        return
                    }
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    switch status {
                    case 200..<300: continuation.resume(returning: .delivered)
                    case 408, 429, 500...599, 0: continuation.resume(returning: .retryable("HTTP \(status)"))
                    default: continuation.resume(returning: .permanent(status))
                    }
                }
                task.resume()
            }
        }
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`, for Foundation's timeouts.
    fileprivate var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
