import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import AdminAPI

/// `AlertNotifier` against a real webhook on a loopback socket (a small Hummingbird server).
@Suite struct AlertNotifierTests {
    /// What the test webhook saw, and how it should answer.
    actor Webhook {
        private(set) var bodies: [String] = []
        private let failures: Int
        private let failStatus: HTTPResponse.Status
        private let delay: Duration

        init(failures: Int, failStatus: HTTPResponse.Status = .internalServerError, delay: Duration = .zero) {
            self.failures = failures
            self.failStatus = failStatus
            self.delay = delay
        }

        func receive(_ body: String) async -> HTTPResponse.Status {
            bodies.append(body)
            let count = bodies.count
            if delay > .zero { try? await Task.sleep(for: delay) }
            return count <= failures ? failStatus : .ok
        }

        func application() -> some ApplicationProtocol {
            let router = Router()
            router.post("/hook") { request, _ in
                var request = request
                let body = try await request.collectBody(upTo: 4096)
                return Response(status: await self.receive(String(buffer: body)))
            }
            return Application(router: router, logger: TestSupport.logger)
        }
    }

    @Test func retriesWithBackoffUntilDelivered() async throws {
        let webhook = Webhook(failures: 2)
        try await webhook.application().test(.live) { client in
            let port = try #require(client.port)
            let notifier = AlertNotifier(
                url: "http://127.0.0.1:\(port)/hook", timeout: .seconds(5), maxAttempts: 5,
                backoff: .milliseconds(50), logger: TestSupport.logger
            )
            let started = ContinuousClock.now
            notifier.notify(["event": "trunk_down", "trunk": "carrier-a"])
            await notifier.drain()
            let elapsed = ContinuousClock.now - started
            let stats = notifier.statistics
            #expect(stats.delivered == 1)
            #expect(stats.failed == 0)
            #expect(stats.attempts == 3)
            // Backoff 50 ms then 100 ms before the third attempt.
            #expect(elapsed >= .milliseconds(150))
        }
        let bodies = await webhook.bodies
        #expect(bodies.count == 3)
        #expect(Set(bodies) == [#"{"event":"trunk_down","trunk":"carrier-a"}"#])
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let webhook = Webhook(failures: 100)
        try await webhook.application().test(.live) { client in
            let port = try #require(client.port)
            let notifier = AlertNotifier(
                url: "http://127.0.0.1:\(port)/hook", timeout: .seconds(5), maxAttempts: 3,
                backoff: .milliseconds(10), logger: TestSupport.logger
            )
            notifier.notify(["event": "x"])
            await notifier.drain()
            #expect(notifier.statistics.failed == 1)
            #expect(notifier.statistics.attempts == 3)
        }
    }

    @Test func clientErrorIsNotRetried() async throws {
        let webhook = Webhook(failures: 100, failStatus: .badRequest)
        try await webhook.application().test(.live) { client in
            let port = try #require(client.port)
            let notifier = AlertNotifier(
                url: "http://127.0.0.1:\(port)/hook", timeout: .seconds(5), maxAttempts: 5,
                backoff: .milliseconds(10), logger: TestSupport.logger
            )
            notifier.notify(["event": "x"])
            await notifier.drain()
            #expect(notifier.statistics.failed == 1)
            #expect(notifier.statistics.attempts == 1)
        }
    }

    @Test func slowWebhookNeverStallsTheCaller() async throws {
        let webhook = Webhook(failures: 0, delay: .milliseconds(300))
        try await webhook.application().test(.live) { client in
            let port = try #require(client.port)
            let notifier = AlertNotifier(
                url: "http://127.0.0.1:\(port)/hook", timeout: .seconds(2), maxAttempts: 1,
                backoff: .milliseconds(10), logger: TestSupport.logger, capacity: 4
            )
            let started = ContinuousClock.now
            for index in 0..<200 {
                notifier.notify(["event": "flap", "n": "\(index)"])
            }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .milliseconds(200))
            let stats = notifier.statistics
            #expect(stats.enqueued == 200)
            #expect(stats.dropped >= 195)
            notifier.shutdown()
        }
    }

    @Test func deadWebhookCountsFailure() async throws {
        // Nothing listens on port 9 of loopback (discard); the connection is refused at once.
        let notifier = AlertNotifier(
            url: "http://127.0.0.1:9/hook", timeout: .seconds(2), maxAttempts: 2,
            backoff: .milliseconds(10), logger: TestSupport.logger
        )
        notifier.notify(["event": "x"])
        await notifier.drain()
        #expect(notifier.statistics.failed == 1)
        #expect(notifier.statistics.attempts == 2)
    }

    @Test func invalidURLCountsFailure() async {
        let notifier = AlertNotifier(url: "ftp://example", timeout: .seconds(1), maxAttempts: 2, backoff: .milliseconds(1), logger: TestSupport.logger)
        notifier.notify(["event": "x"])
        await notifier.drain()
        #expect(notifier.statistics.failed == 1)
        #expect(notifier.statistics.attempts == 0)
    }
}
