import SBCStore
import Testing
@testable import SBCServer

/// How a node turns the cluster's stored decisions into its own commands (docs/CLUSTER.md).
@Suite struct ClusterDecisionTrackerTests {
    static func view(locked: [String: Bool] = ["carrier-a": false, "carrier-b": false],
                     forced: Bool = false, awaiting: Bool = false) -> ClusterDecisionTracker.LocalView {
        ClusterDecisionTracker.LocalView(locked: locked, groups: ["pstn-out": (forced, awaiting)])
    }

    static func lock(_ trunk: String, _ locked: Bool, node: String = "node1", at: Double) -> TrunkLockRecord {
        TrunkLockRecord(trunk: trunk, locked: locked, actor: "alice", reason: "maintenance", node: node, updatedAt: at)
    }

    static func decisions(locks: [TrunkLockRecord] = [], groups: [GroupStateRecord] = []) -> ClusterDecisions {
        ClusterDecisions(trunkLocks: locks, groups: groups, activations: [])
    }

    @Test("another node's lock is applied once, with its actor and the deciding node in the reason")
    func lockAppliedOnce() {
        var tracker = ClusterDecisionTracker()
        let stored = Self.decisions(locks: [Self.lock("carrier-a", true, at: 100)])
        #expect(tracker.actions(for: stored, local: Self.view()) == [
            .lock(trunk: "carrier-a", reason: "maintenance (cluster decision via node1)", actor: "alice"),
        ])
        // The same decision read again (reconcile, a NOTIFY for another change): nothing.
        #expect(tracker.actions(for: stored, local: Self.view()).isEmpty)
        // Then the unlock, a newer decision.
        let unlocked = Self.decisions(locks: [Self.lock("carrier-a", false, node: "node2", at: 130)])
        #expect(tracker.actions(for: unlocked, local: Self.view(locked: ["carrier-a": true])) == [
            .unlock(trunk: "carrier-a", reason: "maintenance (cluster decision via node2)", actor: "alice"),
        ])
    }

    @Test("a decision the local state already matches yields nothing: no echo of the node's own command")
    func matchingStateIsNoOp() {
        var tracker = ClusterDecisionTracker()
        let own = Self.decisions(locks: [Self.lock("carrier-a", true, at: 100)],
                                 groups: [GroupStateRecord(group: "pstn-out", forcedFailover: true, actor: "bob",
                                                           node: "node1", updatedAt: 101)])
        #expect(tracker.actions(for: own, local: Self.view(locked: ["carrier-a": true], forced: true)).isEmpty)
        // A later local change (an automatic unlock does not exist, but a restart does) is not
        // undone by re-reading the same decision.
        #expect(tracker.actions(for: own, local: Self.view()).isEmpty)
    }

    @Test("forced failover and approval: approval also approves members awaiting it")
    func groups() {
        var tracker = ClusterDecisionTracker()
        let forced = Self.decisions(groups: [GroupStateRecord(group: "pstn-out", forcedFailover: true, actor: "bob",
                                                              reason: "flaky", node: "node2", updatedAt: 200)])
        #expect(tracker.actions(for: forced, local: Self.view()) == [
            .forceFailover(group: "pstn-out", reason: "flaky (cluster decision via node2)", actor: "bob"),
        ])
        let approved = Self.decisions(groups: [GroupStateRecord(group: "pstn-out", forcedFailover: false, actor: "carol",
                                                                reason: "fixed", node: "node1", updatedAt: 300)])
        #expect(tracker.actions(for: approved, local: Self.view(awaiting: true)) == [
            .approveFailBack(group: "pstn-out", reason: "fixed (cluster decision via node1)", actor: "carol"),
        ])
        // Not forced, nothing awaiting: an approval has nothing to do.
        var fresh = ClusterDecisionTracker()
        #expect(fresh.actions(for: approved, local: Self.view()).isEmpty)
    }

    @Test("decisions about trunks or groups this node does not have wait until it has them")
    func unknownSubjectsWait() {
        var tracker = ClusterDecisionTracker()
        let stored = Self.decisions(locks: [Self.lock("carrier-z", true, at: 100)])
        #expect(tracker.actions(for: stored, local: Self.view()).isEmpty)
        // After a reload that adds the trunk, the same stored decision applies.
        #expect(tracker.actions(for: stored, local: Self.view(locked: ["carrier-z": false])) == [
            .lock(trunk: "carrier-z", reason: "maintenance (cluster decision via node1)", actor: "alice"),
        ])
    }
}
