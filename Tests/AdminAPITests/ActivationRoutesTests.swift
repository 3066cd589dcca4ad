import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// `PUT/GET /api/v1/trunk-groups/{name}/activation`, its history, rollback and queue, against
/// the fake backend: idempotency over the whole body, 202 for a queued swap, refusals as JSON.
@Suite struct ActivationRoutesTests {
    private let uri = "/api/v1/trunk-groups/pstn/activation"

    private static func body(_ fields: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: fields))
    }

    @Test func putWithTheSameKeyTwiceActsOnceAndAnotherBodyIs422() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "activate-b-1")
            let put = Self.body(["member": "carrier-b", "reason": "carrier A maintenance"])
            let first = try await client.execute(uri: uri, method: .put, headers: headers, body: put)
            #expect(first.status == .ok)
            let status = try TestSupport.decode(ActivationStatus.self, first)
            #expect(status.outcome == "applied")
            #expect(status.current.version == 1)
            #expect(status.order == ["carrier-b", "carrier-a"])
            let second = try await client.execute(uri: uri, method: .put, headers: headers, body: put)
            #expect(second.status == .ok)
            #expect(second.headers[AdminRoutes.replayField] == "true")
            #expect(second.body == first.body)
            // Same reason, another member: the digest covers the whole request.
            let other = try await client.execute(uri: uri, method: .put, headers: headers,
                                                 body: Self.body(["member": "carrier-a", "reason": "carrier A maintenance"]))
            #expect(other.status == .unprocessableContent)
            #expect(try TestSupport.errorCode(other) == "idempotency_key_reused")
            let forced = try await client.execute(uri: uri, method: .put, headers: headers,
                                                  body: Self.body(["member": "carrier-b", "reason": "carrier A maintenance",
                                                                   "force": true]))
            #expect(forced.status == .unprocessableContent)
        }
        #expect(await backend.actions == ["activation pstn"])
    }

    @Test func historyAndRollback() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            _ = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                         body: Self.body(["member": "carrier-b", "reason": "move"]))
            let rollback = try await client.execute(uri: uri + "/rollback", method: .post, headers: TestSupport.headers(),
                                                    body: Self.body(["version": 0, "reason": "back"]))
            #expect(rollback.status == .ok)
            let status = try TestSupport.decode(ActivationStatus.self, rollback)
            #expect(status.current.version == 2)
            #expect(status.current.rollbackOf == 0)
            #expect(status.current.firstMember == "carrier-a")
            let history = try await client.execute(uri: uri + "/history", method: .get, headers: TestSupport.headers())
            #expect(history.status == .ok)
            #expect(try TestSupport.decode([ActivationVersionStatus].self, history).map(\.version) == [0, 1, 2])
            let unknown = try await client.execute(uri: uri + "/rollback", method: .post, headers: TestSupport.headers(),
                                                   body: Self.body(["version": 9, "reason": "back"]))
            #expect(unknown.status == .notFound)
            #expect(try TestSupport.errorCode(unknown) == "unknown_version")
        }
    }

    @Test func coolingRefusalNamesTheSecondsLeftAndForceOverrides() async throws {
        let backend = FakeBackend()
        await backend.setActivationGuards(coolingLeft: 42, queueNext: false)
        try await TestSupport.application(backend: backend).test(.router) { client in
            let refused = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                   body: Self.body(["member": "carrier-b", "reason": "move"]))
            #expect(refused.status == .conflict)
            let error = try JSONSerialization.jsonObject(with: Data(refused.body.readableBytesView)) as? [String: Any]
            #expect(error?["error"] as? String == "cooling")
            #expect(error?["coolingSecondsLeft"] as? Int == 42)
            let forced = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                  body: Self.body(["member": "carrier-b", "reason": "move", "force": true]))
            #expect(forced.status == .ok)
            #expect(try TestSupport.decode(ActivationStatus.self, forced).current.forced)
        }
    }

    @Test func queuedSwapIs202AndCanBeCancelled() async throws {
        let backend = FakeBackend()
        await backend.setActivationGuards(coolingLeft: 0, queueNext: true)
        try await TestSupport.application(backend: backend).test(.router) { client in
            let queued = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                  body: Self.body(["member": "carrier-b", "reason": "after the calls"]))
            #expect(queued.status == .accepted)
            let status = try TestSupport.decode(ActivationStatus.self, queued)
            #expect(status.queued?.version.version == 1)
            #expect(status.current.version == 0)
            let get = try await client.execute(uri: uri, method: .get, headers: TestSupport.headers())
            #expect(try TestSupport.decode(ActivationStatus.self, get).queued?.draining == "carrier-a")
            let cancel = try await client.execute(uri: uri + "/queued", method: .delete, headers: TestSupport.headers(),
                                                  body: TestSupport.reason("not tonight"))
            #expect(cancel.status == .ok)
            #expect(try TestSupport.decode(ActivationStatus.self, cancel).queued == nil)
            let again = try await client.execute(uri: uri + "/queued", method: .delete, headers: TestSupport.headers(),
                                                 body: TestSupport.reason("not tonight"))
            #expect(again.status == .notFound)
            #expect(try TestSupport.errorCode(again) == "nothing_queued")
        }
    }

    @Test func badBodiesScopesAndUnknownGroups() async throws {
        try await TestSupport.application().test(.router) { client in
            let missing = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                   body: Self.body(["reason": "no member"]))
            #expect(missing.status == .unprocessableContent)
            let notJSON = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                   body: ByteBuffer(string: "member=carrier-b"))
            #expect(notJSON.status == .badRequest)
            let noReason = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                    body: Self.body(["member": "carrier-b"]))
            #expect(noReason.status == .unprocessableContent)
            let reader = try await client.execute(uri: uri, method: .get,
                                                  headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(reader.status == .forbidden)
            let unknown = try await client.execute(uri: "/api/v1/trunk-groups/nope/activation", method: .get,
                                                   headers: TestSupport.headers())
            #expect(unknown.status == .notFound)
            let member = try await client.execute(uri: uri, method: .put, headers: TestSupport.headers(),
                                                  body: Self.body(["member": "carrier-z", "reason": "typo"]))
            #expect(member.status == .notFound)
            #expect(try TestSupport.errorCode(member) == "unknown_member")
        }
    }
}
