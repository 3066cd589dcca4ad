import Foundation
import Testing
@testable import SBCStore

/// Admin API idempotency keys against real files, including two store instances (as two
/// processes, or an instance per request handler, would have).
@Suite struct IdempotencyStoreTests {
    private static let created = IdempotencyStore.StoredResponse(
        method: "POST", path: "/v1/trunks/carrier-a/lock", status: 201, body: Array(#"{"state":"locked"}"#.utf8),
        requestDigest: "5f1c0c3e2a")

    @Test func firstWriterWinsAcrossTwoInstances() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let first = try IdempotencyStore(path: path)
        let second = try IdempotencyStore(path: path)

        #expect(try first.lookup(key: "k1", token: "alice") == nil)
        try first.save(key: "k1", token: "alice", response: Self.created)
        let conflicting = IdempotencyStore.StoredResponse(method: "POST", path: "/v1/trunks/carrier-a/lock",
                                                          status: 409, body: Array("already locked".utf8))
        try second.save(key: "k1", token: "alice", response: conflicting)  // ignored, no throw
        #expect(try second.lookup(key: "k1", token: "alice") == Self.created)
        #expect(try first.lookup(key: "k1", token: "alice") == Self.created)

        // Same key, another token: a different client, its own response.
        try second.save(key: "k1", token: "bob", response: conflicting)
        #expect(try first.lookup(key: "k1", token: "bob") == conflicting)
        #expect(try first.lookup(key: "k2", token: "alice") == nil)
    }

    @Test func racingSavesFromManyThreadsKeepExactlyOne() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let stores = try (0..<4).map { _ in try IdempotencyStore(path: path) }
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            for key in 0..<50 {
                let response = IdempotencyStore.StoredResponse(method: "POST", path: "/p", status: 200 + index,
                                                               body: [UInt8(index)])
                try! stores[index].save(key: "key-\(key)", token: "t", response: response)
            }
        }
        for key in 0..<50 {
            let stored = try #require(try stores[0].lookup(key: "key-\(key)", token: "t"))
            #expect(stored.body == [UInt8(stored.status - 200)])  // one writer's response, whole
        }
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        let count = try db.prepare("SELECT count(*) FROM idempotency_keys")
        #expect(try count.step())
        #expect(count.int(at: 0) == 50)
    }

    @Test func bodiesRoundTripIncludingEmptyAndBinary() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let store = try IdempotencyStore(path: dir + "/cdr.sqlite")
        let empty = IdempotencyStore.StoredResponse(method: "DELETE", path: "/v1/groups/uk/failover", status: 204, body: [])
        let binary = IdempotencyStore.StoredResponse(method: "POST", path: "/p?q='x'", status: 200,
                                                     body: [0, 255, 0, 1, 0x80] + Array("ü🚀".utf8))
        try store.save(key: "empty", token: "t", response: empty)
        try store.save(key: "binary", token: "t", response: binary)
        #expect(try store.lookup(key: "empty", token: "t") == empty)
        #expect(try store.lookup(key: "binary", token: "t") == binary)
    }

    @Test func purgeDeletesOnlyOlderEntries() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let clock = TestClock(now: 1_000)
        let store = try IdempotencyStore(path: dir + "/cdr.sqlite", now: { clock.now })
        try store.save(key: "old", token: "t", response: Self.created)
        clock.now = 2_000
        try store.save(key: "new", token: "t", response: Self.created)

        try store.purge(olderThan: 1_000)  // strictly older: nothing yet
        #expect(try store.lookup(key: "old", token: "t") != nil)
        try store.purge(olderThan: 1_500)
        #expect(try store.lookup(key: "old", token: "t") == nil)
        #expect(try store.lookup(key: "new", token: "t") == Self.created)

        // A purged key can be used again.
        try store.save(key: "old", token: "t", response: Self.created)
        #expect(try store.lookup(key: "old", token: "t") == Self.created)
    }
}

/// A settable clock shared with the store's `now` closure.
private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(now: Double) { value = now }
    var now: Double {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
