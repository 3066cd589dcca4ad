// The scale-out lab end to end (issue 16, docs/CLUSTER.md): a private PostgreSQL (initdb in the
// test's temp dir, 127.0.0.1:55432, role and database `sbc` with a password), Kamailio on
// 127.0.0.1:5060 with conf/cluster/kamailio.cfg and dispatcher.list (as scripts/cluster-up starts
// it), SBC node 1 (127.0.0.21) and node 2 (127.0.0.22) from conf/cluster/node1.yaml and node2.yaml
// (only the store's port and the state_dir rewritten), SIPp carriers A and B on 127.0.0.11/12:5060
// and a SIPp platform on 127.0.0.10:5060 calling through Kamailio. One test, in phases:
//
// a. 20 calls complete and are spread over both nodes; their CDRs are in the one `calls` table;
// b. a lock of carrier-a through node 1's API shows in node 2's API within 1 s, and node 2's next
//    calls do not use carrier-a; unlocked after;
// c. node 2's GET /api/v1/nodes lists both nodes, alive;
// d. PostgreSQL stopped for 10 s: calls complete on both nodes, a lock is refused with 503, the
//    CDR writers report the store unreachable with a backlog; PostgreSQL back: every CDR lands
//    and a lock works again;
// e. node 1 stopped (SIGTERM): once Kamailio's probes take it out (`IP`; in `TP`, probes failing
//    but fewer than the threshold, Kamailio still sends it new INVITEs), new calls all land on
//    node 2 with no INVITE failed over in Kamailio, and node 2 lists node 1 as not alive.
//
// Each phase prints what it measured ("[cluster] ..."); SBC_KEEP_TEST_DIRS=1 keeps the logs.
// Skipped (with the reason) only when PostgreSQL or Kamailio is not installed. Needs the lab's
// fixed addresses free: integration suites run one at a time.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Scale-out cluster end to end (Kamailio + two sbc nodes + PostgreSQL + SIPp)", .serialized,
       .timeLimit(.minutes(4)))
struct ClusterEndToEndTests {
    static let kamailio = Endpoint(ip: "127.0.0.1", port: 5060)
    static let platform = Endpoint(ip: "127.0.0.10", port: 5060)
    static let carrierA = Endpoint(ip: "127.0.0.11", port: 5060)
    static let carrierB = Endpoint(ip: "127.0.0.12", port: 5060)
    static let nodeAddresses = ["node1": "127.0.0.21", "node2": "127.0.0.22"]
    static let storePort: UInt16 = 55432
    static let storePassword = "cluster-itest-password"

    /// Everything the test started, and the failure context it can print.
    final class Cluster {
        let lab: Lab
        var postgres: PostgresInstance?
        var kamailio: Kamailio?
        var nodes: [ClusterNode] = []
        init(lab: Lab) { self.lab = lab }

        func node(_ name: String) -> ClusterNode { nodes.first { $0.name == name }! }

        var context: String {
            (nodes.map { $0.logTail(2500) } + [kamailio?.logTail(2500) ?? "(Kamailio not started)",
                                              postgres?.logTail(2000) ?? "(PostgreSQL not started)"])
                .joined(separator: "\n")
        }

        /// Nodes first (they drain and flush to the store), then Kamailio, then PostgreSQL; the
        /// SIPp peers go with the lab. Each process by its own PID.
        func stop() async {
            for node in nodes { await node.process.stop(signal: SIGTERM, grace: .seconds(10)) }
            if let kamailio { await kamailio.process.stop(signal: SIGTERM, grace: .seconds(5)) }
            await postgres?.stop()
        }

        /// CDR rows per node in PostgreSQL (`SELECT node, count(*) FROM calls GROUP BY node`).
        func cdrCounts() async throws -> [String: Int] {
            guard let postgres else { return [:] }
            var counts: [String: Int] = [:]
            for row in try await postgres.query("SELECT node, count(*) FROM calls GROUP BY node", name: "psql-cdr-counts") {
                let parts = row.split(separator: "|", omittingEmptySubsequences: false)
                if parts.count == 2, let n = Int(parts[1]) { counts[String(parts[0])] = n }
            }
            return counts
        }

        /// Polls the CDR counts until they add up to `total` (bounded); the last counts and when.
        func waitForCDRs(total: Int, within limit: Duration) async -> (counts: [String: Int], after: Duration) {
            let start = ContinuousClock.now
            var counts: [String: Int] = [:]
            while true {
                if let read = try? await cdrCounts() { counts = read }
                if counts.values.reduce(0, +) >= total || ContinuousClock.now - start >= limit {
                    return (counts, ContinuousClock.now - start)
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    static func elapsed(_ since: ContinuousClock.Instant) -> String { seconds(ContinuousClock.now - since) }

    /// Polls `GET /api/v1/trunks/{trunk}` on `node` every 10 ms (AdminClient.waitForTrunk's 100 ms
    /// is too coarse to measure a propagation delay) until `done(state)`, at most 5 s from `start`.
    static func trunkState(on node: ClusterNode, _ trunk: String, since start: ContinuousClock.Instant,
                           until done: (String?) -> Bool) async -> Bool {
        while ContinuousClock.now - start < .seconds(5) {
            if done((try? await node.admin.get("api/v1/trunks/\(trunk)"))?.object["state"] as? String) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    static func log(_ text: String) { print("[cluster] \(text)") }

    @Test("""
        two sbc nodes behind Kamailio with a private PostgreSQL: calls spread over both nodes, one CDR \
        table, a lock through node 1 shows on node 2 within 1 s, node list, PostgreSQL down for 10 s \
        (calls flow, locks 503, CDRs flushed after), node 1 stopped (new calls on node 2)
        """,
          .enabled(if: PostgresInstance.isInstalled, Comment(rawValue: PostgresInstance.notInstalled)),
          .enabled(if: Kamailio.isInstalled, Comment(rawValue: Kamailio.notInstalled)))
    func clusterSharesStateAndCDRsAndSurvivesOutages() async throws {
        try await withLab("cluster") { lab in
            let cluster = Cluster(lab: lab)
            do {
                try await Self.run(cluster)
            } catch {
                Issue.record("\(error)\n\(cluster.context)")
            }
            await cluster.stop()
        }
    }

    static func run(_ cluster: Cluster) async throws {
        let lab = cluster.lab
        let testStart = ContinuousClock.now
        var phase = ContinuousClock.now
        let nodeEndpoints = nodeAddresses.values.flatMap { [Endpoint(ip: $0, port: 5060), Endpoint(ip: $0, port: 5080)] }
        try await lab.requireFreeUDP([kamailio, platform, carrierA, carrierB] + nodeEndpoints)

        // --- start-up: PostgreSQL, carriers, Kamailio, nodes ---
        let postgres = try await PostgresInstance(lab: lab, port: storePort, password: storePassword)
        cluster.postgres = postgres
        log("PostgreSQL \(postgres.url) up (\(postgres.bin.path)) in \(elapsed(phase))")
        phase = .now
        try await lab.startCallee("uas_basic", at: carrierA, name: "carrierA")
        try await lab.startCallee("uas_basic", at: carrierB, name: "carrierB")
        let kamailio = try await Kamailio(
            lab: lab, config: Tools.repoRoot.appendingPathComponent("conf/cluster/kamailio.cfg"),
            dispatcherList: Tools.repoRoot.appendingPathComponent("conf/cluster/dispatcher.list"), listen: Self.kamailio)
        cluster.kamailio = kamailio
        for name in ["node1", "node2"] {
            cluster.nodes.append(try ClusterNode(lab: lab, name: name, address: nodeAddresses[name]!,
                                                 storePort: storePort, storePassword: storePassword))
        }
        for node in cluster.nodes { try await node.waitUntilHealthy() }
        let uris = ["sip:127.0.0.21:5060", "sip:127.0.0.22:5060"]
        let up = await kamailio.waitForDestinations(lab, uris, active: true, within: .seconds(10))
        try #require(up.ok, "Kamailio does not see both nodes active: \(up.flags)\n\(cluster.context)")
        log("Kamailio and both nodes up, dispatcher \(up.flags), in \(elapsed(phase))")
        let node1 = cluster.node("node1"), node2 = cluster.node("node2")
        var expectedCDRs = 0

        // --- a. 20 calls through Kamailio, spread over both nodes, CDRs in one table ---
        phase = .now
        let first = try await lab.runCaller("uac_basic", from: platform, to: Self.kamailio, calls: 20, rate: 10,
                                            name: "platform-a", timeout: .seconds(40))
        #expect(first.allCallsSucceeded && first.successfulCalls == 20, "\(first.diagnostics)\n\(cluster.context)")
        expectedCDRs += 20
        let spread = await cluster.waitForCDRs(total: expectedCDRs, within: .seconds(5))
        log("a. 20 calls: \(first); CDRs per node \(spread.counts) (landed \(seconds(spread.after)) after the last call); phase \(elapsed(phase))")
        #expect(spread.counts.values.reduce(0, +) == 20, "CDRs in calls: \(spread.counts)\n\(cluster.context)")
        #expect(Set(spread.counts.keys) == ["node1", "node2"] && spread.counts.values.allSatisfy { $0 > 0 },
                "both nodes carried calls, in one table: \(spread.counts)")

        // --- b. a lock through node 1 shows on node 2 within 1 s; node 2 stops using carrier-a ---
        phase = .now
        let lockStart = ContinuousClock.now
        let lock = try await node1.admin.post("api/v1/trunks/carrier-a/lock", ["reason": "cluster test: lock on node1"])
        #expect(lock.status == 200, "lock on node 1: \(lock.status) \(lock.object)")
        let seen = await trunkState(on: node2, "carrier-a", since: lockStart) { $0 == "locked" }
        let propagation = ContinuousClock.now - lockStart
        log("b. lock via node1 -> locked in node2's API after \(seconds(propagation)) (from the POST on node1; GET on node2 every 10 ms)")
        #expect(seen && propagation < .seconds(1), "node 2 showed carrier-a locked: \(seen) after \(seconds(propagation))\n\(cluster.context)")
        let locked = try await lab.runCaller("uac_basic", from: platform, to: Self.kamailio, calls: 12, rate: 10,
                                             name: "platform-b-locked", timeout: .seconds(40))
        #expect(locked.allCallsSucceeded && locked.successfulCalls == 12, "\(locked.diagnostics)\n\(cluster.context)")
        expectedCDRs += 12
        let afterLock = await cluster.waitForCDRs(total: expectedCDRs, within: .seconds(5))
        let ids = locked.sentInitialInviteCallIDs.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }
            .joined(separator: ",")
        // A locked trunk appears in a CDR as an attempt with outcome `skipped` (never sent).
        let byTrunk = try await postgres.query("""
            SELECT c.node, a.trunk, a.outcome, count(*) FROM call_attempts a JOIN calls c ON c.id = a.call_id \
            WHERE c.call_id IN (\(ids)) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, name: "psql-locked-attempts")
        log("b. 12 calls while locked: \(locked); attempts by node|trunk|outcome|count: \(byTrunk); CDRs \(afterLock.counts)")
        #expect(!byTrunk.isEmpty && byTrunk.allSatisfy { !$0.contains("|carrier-a|") || $0.contains("|carrier-a|skipped|") },
                "no call was sent to carrier-a while it was locked: \(byTrunk)")
        #expect(byTrunk.contains { $0.hasPrefix("node2|carrier-b|") } && byTrunk.contains { $0.hasPrefix("node2|carrier-a|skipped|") },
                "node 2 skipped carrier-a and carried calls on carrier-b: \(byTrunk)")
        let unlock = try await node1.admin.post("api/v1/trunks/carrier-a/unlock", ["reason": "cluster test: unlock"])
        #expect(unlock.status == 200, "unlock on node 1: \(unlock.status) \(unlock.object)")
        let unlockStart = ContinuousClock.now
        let unlockedOn2 = await trunkState(on: node2, "carrier-a", since: unlockStart) { $0 != nil && $0 != "locked" }
        #expect(unlockedOn2, "node 2 still shows carrier-a locked 5 s after the unlock")
        log("b. unlock seen on node2 after \(elapsed(unlockStart)); phase \(elapsed(phase))")

        // --- c. node 2 lists both nodes, alive ---
        let nodes = try await node2.admin.get("api/v1/nodes")
        let listed = Dictionary(nodes.array.compactMap { n in (n["name"] as? String).map { ($0, n) } },
                                uniquingKeysWith: { a, _ in a })
        log("c. GET /api/v1/nodes on node2: \(nodes.status) \(listed.mapValues { ["alive": $0["alive"] ?? "?", "current": $0["current"] ?? "?", "activeCalls": $0["activeCalls"] ?? "?"] })")
        #expect(nodes.status == 200 && Set(listed.keys) == ["node1", "node2"], "nodes: \(nodes.status) \(nodes.json ?? "nil")")
        #expect(listed.values.allSatisfy { $0["alive"] as? Bool == true }, "both alive: \(nodes.json ?? "nil")")
        #expect(listed["node2"]?["current"] as? Bool == true && listed["node1"]?["current"] as? Bool == false,
                "node 2 marks itself current: \(nodes.json ?? "nil")")

        // --- d. PostgreSQL away for 10 s ---
        phase = .now
        let before = afterLock.counts
        await postgres.stop()
        let outageStart = ContinuousClock.now
        log("d. PostgreSQL stopped (pg_ctl stop -m fast)")
        try await Task.sleep(for: .seconds(2))   // the cluster listener checks the database every second
        let refused = try await node1.admin.post("api/v1/trunks/carrier-a/lock", ["reason": "cluster test: during outage"])
        log("d. lock on node1 during the outage: \(refused.status) \(refused.object)")
        #expect(refused.status == 503, "a lock while PostgreSQL is down: \(refused.status) \(refused.object)")
        let during = try await lab.runCaller("uac_basic", from: platform, to: Self.kamailio, calls: 20, rate: 10,
                                             name: "platform-d-outage", timeout: .seconds(40))
        #expect(during.allCallsSucceeded && during.successfulCalls == 20, "\(during.diagnostics)\n\(cluster.context)")
        expectedCDRs += 20
        // The writers publish their counters every second; the calls have ended.
        var store: [String: (reachable: Double?, backlog: Double?)] = [:]
        let metricsDeadline = ContinuousClock.now + .seconds(4)
        repeat {
            for node in cluster.nodes {
                let metrics = await node.metrics()
                store[node.name] = (prometheusValue(metrics, "sbc_store_reachable", labels: ["store": "cdr"]),
                                    prometheusValue(metrics, "sbc_store_backlog", labels: ["store": "cdr"]))
            }
            // (a gauge may lag the last call by up to a second: wait for all 20)
            if store.values.allSatisfy({ $0.reachable == 0 }), store.values.compactMap(\.backlog).reduce(0, +) >= 20 { break }
            try await Task.sleep(for: .milliseconds(250))
        } while ContinuousClock.now < metricsDeadline
        log("d. 20 calls during the outage: \(during); cdr store per node (reachable, backlog): \(store)")
        for (name, value) in store.sorted(by: { $0.key < $1.key }) {
            #expect(value.reachable == 0 && (value.backlog ?? 0) > 0,
                    "\(name): sbc_store_reachable{store=\"cdr\"}=\(value.reachable.map { "\($0)" } ?? "absent"), backlog \(value.backlog.map { "\($0)" } ?? "absent") after calls during the outage")
        }
        let outageLeft = .seconds(10) - (ContinuousClock.now - outageStart)
        if outageLeft > .zero { try await Task.sleep(for: outageLeft) }
        try await postgres.start()
        let restarted = ContinuousClock.now
        log("d. PostgreSQL started again after \(elapsed(outageStart)) down")
        let flushed = await cluster.waitForCDRs(total: expectedCDRs, within: .seconds(15))
        log("d. CDRs after PostgreSQL returned: \(flushed.counts) (total \(flushed.counts.values.reduce(0, +)) of \(expectedCDRs), after \(seconds(flushed.after)))")
        #expect(flushed.counts.values.reduce(0, +) == expectedCDRs && flushed.after < .seconds(10),
                "every call's CDR is in PostgreSQL within 10 s: \(flushed.counts), expected \(expectedCDRs)\n\(cluster.context)")
        let outageSpread = flushed.counts.merging(before.mapValues { -$0 }, uniquingKeysWith: +)
        log("d. outage calls per node (from CDRs): \(outageSpread)")
        #expect(outageSpread["node1", default: 0] > 0 && outageSpread["node2", default: 0] > 0,
                "both nodes carried calls during the outage: \(outageSpread)")
        var relock: AdminClient.Response?
        while ContinuousClock.now - restarted < .seconds(15) {
            relock = try? await node1.admin.post("api/v1/trunks/carrier-a/lock", ["reason": "cluster test: after outage"])
            if relock?.status == 200 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        log("d. lock on node1 after PostgreSQL returned: \(relock?.status ?? 0) after \(elapsed(restarted))")
        #expect(relock?.status == 200, "a lock after PostgreSQL returned: \(relock?.status ?? 0) \(relock?.object ?? [:])")
        if relock?.status == 200 {
            #expect(try await node2.admin.waitForTrunk("carrier-a", state: "locked", within: .seconds(2)),
                    "the lock after the outage reaches node 2")
            let unlocked = try await node1.admin.post("api/v1/trunks/carrier-a/unlock", ["reason": "cluster test: unlock"])
            #expect(unlocked.status == 200, "unlock after the outage: \(unlocked.status) \(unlocked.object)")
        }
        for node in cluster.nodes {
            let metrics = await node.metrics()
            let dropped = prometheusValue(metrics, "sbc_store_writes_total", labels: ["store": "cdr", "outcome": "dropped"])
            #expect(dropped == 0, "\(node.name): no CDR dropped (sbc_store_writes_total{store=\"cdr\",outcome=\"dropped\"} = \(dropped.map { "\($0)" } ?? "absent"))")
        }
        log("d. phase \(elapsed(phase))")

        // --- e. node 1 stopped: new calls go to node 2 ---
        phase = .now
        let exit = await node1.process.stop(signal: SIGTERM, grace: .seconds(40))
        log("e. node1 stopped with SIGTERM: \(exit) after \(elapsed(phase))")
        #expect(exit.exited && exit.status == 0, "node 1's exit on SIGTERM: \(exit)\n\(node1.logTail())")
        let down = await kamailio.waitForDestinations(lab, ["sip:127.0.0.21:5060"], active: false, within: .seconds(10))
        log("e. Kamailio marks node1 inactive: \(down.ok) (\(down.flags)) \(elapsed(phase)) after SIGTERM")
        #expect(down.ok, "Kamailio's probes take node 1 out: \(down.flags)")
        let beforeStop = try await cluster.cdrCounts()
        let kamailioLog = kamailio.logOffset
        let last = try await lab.runCaller("uac_basic", from: platform, to: Self.kamailio, calls: 10, rate: 10,
                                           name: "platform-e-node2", timeout: .seconds(40))
        #expect(last.allCallsSucceeded && last.successfulCalls == 10, "\(last.diagnostics)\n\(cluster.context)")
        expectedCDRs += 10
        let final = await cluster.waitForCDRs(total: expectedCDRs, within: .seconds(5))
        log("e. 10 calls with node1 stopped: \(last); CDRs \(beforeStop) -> \(final.counts); phase \(elapsed(phase))")
        // Straight to node 2: no INVITE went to node 1 and had to be failed over after fr_timer.
        let failovers = kamailio.log(since: kamailioLog).split(separator: "\n").filter { $0.contains("did not answer INVITE") }
        #expect(failovers.isEmpty, "Kamailio still sent new INVITEs to the stopped node 1:\n\(failovers.joined(separator: "\n"))")
        #expect(final.counts["node1"] == beforeStop["node1"] && final.counts["node2"] == (beforeStop["node2"] ?? 0) + 10,
                "all 10 new calls on node 2: \(beforeStop) -> \(final.counts)")
        // node 1's heartbeat row stays; node 2 shows it gone once the heartbeat is older than the
        // alive window (5 s, ClusterStateListener.aliveWindow).
        var node1Alive: Any?
        while ContinuousClock.now - phase < .seconds(10) {
            let listing = try? await node2.admin.get("api/v1/nodes")
            node1Alive = listing?.array.first { $0["name"] as? String == "node1" }?["alive"]
            if node1Alive as? Bool == false { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        log("e. node2's GET /api/v1/nodes shows node1 alive=\(node1Alive ?? "absent") \(elapsed(phase)) after SIGTERM")
        #expect(node1Alive as? Bool == false, "node 2 lists the stopped node 1 as not alive: \(node1Alive ?? "absent")")
        log("total \(elapsed(testStart))")
    }
}
