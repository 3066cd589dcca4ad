import Routing
import SBCConfig
import Testing

/// Versioning, rollback, cooling and the drain queue of `TrunkGroupActivation`, on a manual
/// wall clock (Unix seconds passed in).
@Suite struct TrunkGroupActivationTests {
    static func group(cooling: Int = 90, drain: Int? = nil, strategy: TrunkGroupStrategy = .priority) -> TrunkGroupSettings {
        var group = TrunkGroupSettings(name: "pstn-out", strategy: strategy, members: ["carrier-a", "carrier-b", "carrier-c"],
                                       weights: strategy == .weighted ? ["carrier-a": 1, "carrier-b": 1, "carrier-c": 1] : nil)
        group.activation = GroupActivationSettings(cooling: .seconds(cooling), drainThreshold: drain)
        return group
    }

    static let t0 = 1_800_000_000.0

    @Test func versionZeroIsTheConfigurationOrder() {
        let state = TrunkGroupActivation(group: Self.group())
        #expect(state.current.version == 0)
        #expect(state.firstMember == "carrier-a")
        #expect(state.order(["carrier-a", "carrier-b", "carrier-c"]) { $0 } == ["carrier-a", "carrier-b", "carrier-c"])
        #expect(state.coolingLeft(at: Self.t0) == 0)
    }

    @Test func activationPutsTheMemberFirstAndKeepsTheRestInConfigOrder() throws {
        var state = TrunkGroupActivation(group: Self.group())
        let change = try state.activate(member: "carrier-c", reason: "move", actor: "ops", force: false, at: Self.t0,
                                        activeCalls: 0)
        guard case .applied(let version, nil) = change else { Issue.record("not applied: \(change)"); return }
        #expect(version.version == 1)
        #expect(version.appliedAt == Self.t0)
        #expect(version.actor == "ops")
        #expect(state.order(["carrier-a", "carrier-b", "carrier-c"]) { $0 } == ["carrier-c", "carrier-a", "carrier-b"])
    }

    @Test func coolingRefusesDemotionUntilItEndsOrForce() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 90))
        _ = try state.activate(member: "carrier-b", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 0)
        #expect(throws: ActivationError.cooling(member: "carrier-b", secondsLeft: 60, version: 1)) {
            try state.rollback(to: 0, reason: "back", actor: "ops", force: false, at: Self.t0 + 30, activeCalls: 0)
        }
        #expect(state.coolingLeft(at: Self.t0 + 89.5) == 1)
        let later = try state.rollback(to: 0, reason: "back", actor: "ops", force: false, at: Self.t0 + 90, activeCalls: 0)
        #expect(later.version.firstMember == "carrier-a")
        #expect(later.version.rollbackOf == 0)
        // Within the new version's cooling, only force moves it.
        #expect(throws: ActivationError.self) {
            try state.activate(member: "carrier-c", reason: "r", actor: "ops", force: false, at: Self.t0 + 91, activeCalls: 0)
        }
        let forced = try state.activate(member: "carrier-c", reason: "r", actor: "ops", force: true, at: Self.t0 + 91,
                                        activeCalls: 0)
        #expect(forced.version.forced)
        #expect(state.history.map(\.version) == [1, 2, 3])
    }

    @Test func rollbackCreatesANewVersionEqualToTheOldOne() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 0))
        _ = try state.activate(member: "carrier-b", reason: "one", actor: "ops", force: false, at: Self.t0, activeCalls: 0)
        _ = try state.activate(member: "carrier-c", reason: "two", actor: "ops", force: false, at: Self.t0 + 1, activeCalls: 0)
        let change = try state.rollback(to: 1, reason: "undo", actor: "ops", force: false, at: Self.t0 + 2, activeCalls: 0)
        #expect(change.version.version == 3)
        #expect(change.version.firstMember == "carrier-b")
        #expect(change.version.rollbackOf == 1)
        #expect(state.history.map(\.firstMember) == ["carrier-b", "carrier-c", "carrier-b"])
        #expect(throws: ActivationError.unknownVersion(7)) {
            try state.rollback(to: 7, reason: "x", actor: "ops", force: false, at: Self.t0 + 3, activeCalls: 0)
        }
    }

    @Test func refusesUnknownMembersRepeatsAndWeightedGroups() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 0))
        #expect(throws: ActivationError.alreadyFirst("carrier-a", version: 0)) {
            try state.activate(member: "carrier-a", reason: "r", actor: "ops", force: true, at: Self.t0, activeCalls: 0)
        }
        #expect(throws: ActivationError.unknownMember("carrier-z", members: ["carrier-a", "carrier-b", "carrier-c"])) {
            try state.activate(member: "carrier-z", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 0)
        }
        var weighted = TrunkGroupActivation(group: Self.group(strategy: .weighted))
        #expect(throws: ActivationError.weightedGroup("pstn-out")) {
            try weighted.activate(member: "carrier-b", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 0)
        }
        #expect(weighted.order(["x", "carrier-b"]) { $0 } == ["x", "carrier-b"])
    }

    @Test func swapAboveTheDrainThresholdQueuesAndAppliesWhenCallsDrain() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 0, drain: 2))
        let change = try state.activate(member: "carrier-b", reason: "maintenance", actor: "ops", force: false, at: Self.t0,
                                        activeCalls: 5)
        guard case .queued(let pending) = change else { Issue.record("not queued: \(change)"); return }
        #expect(pending.draining == "carrier-a")
        #expect(pending.version.version == 1)
        #expect(state.current.version == 0)
        #expect(throws: ActivationError.queuePending(version: 1, member: "carrier-b")) {
            try state.activate(member: "carrier-c", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 5)
        }
        #expect(state.drainCheck(activeCalls: 3, at: Self.t0 + 10) == nil)
        let applied = state.drainCheck(activeCalls: 2, at: Self.t0 + 20)
        #expect(applied?.version.appliedAt == Self.t0 + 20)
        #expect(state.current.version == 1)
        #expect(state.queued == nil)
        #expect(state.firstMember == "carrier-b")
    }

    @Test func cancelAndForceOnTheQueue() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 0, drain: 0))
        _ = try state.activate(member: "carrier-b", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 1)
        let cancelled = try state.cancelQueued(reason: "not now", actor: "ops2", at: Self.t0 + 1)
        guard case .cancelled(let dropped, "ops2", "not now", Self.t0 + 1) = cancelled else {
            Issue.record("not cancelled: \(cancelled)")
            return
        }
        #expect(dropped.version == 1)
        #expect(state.history.isEmpty)
        #expect(throws: ActivationError.nothingQueued) { try state.cancelQueued(reason: "r", actor: "ops", at: Self.t0) }
        // Numbers are never reused: the cancelled one was 1.
        _ = try state.activate(member: "carrier-b", reason: "again", actor: "ops", force: false, at: Self.t0 + 2, activeCalls: 1)
        let forced = try state.activate(member: "carrier-c", reason: "now", actor: "ops", force: true, at: Self.t0 + 3,
                                        activeCalls: 1)
        guard case .applied(let version, let replaced?) = forced else { Issue.record("not applied: \(forced)"); return }
        #expect(replaced.version == 2)
        #expect(version.version == 3)
        #expect(state.queued == nil)
        #expect(state.history.map(\.version) == [3])
    }

    @Test func restoresHistoryQueueAndCoolingAfterARestart() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 90, drain: 0))
        _ = try state.activate(member: "carrier-b", reason: "r", actor: "ops", force: true, at: Self.t0, activeCalls: 4)
        _ = try state.activate(member: "carrier-c", reason: "q", actor: "ops", force: false, at: Self.t0 + 100,
                               activeCalls: 4)
        let queued = try #require(state.queued)
        let restored = TrunkGroupActivation(group: Self.group(cooling: 90, drain: 0), restoring: state.history,
                                            queued: queued, highestVersion: 2)
        #expect(restored == state)
        #expect(restored.firstMember == "carrier-b")
        #expect(restored.coolingLeft(at: Self.t0 + 60) == 30)
        var next = restored
        #expect(next.drainCheck(activeCalls: 0, at: Self.t0 + 200)?.version.version == 2)
    }

    @Test func aReloadKeepsHistoryQueueAndNumbersUnderTheNewSettings() throws {
        var state = TrunkGroupActivation(group: Self.group(cooling: 0, drain: 0))
        _ = try state.activate(member: "carrier-b", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 1)
        _ = try state.cancelQueued(reason: "r", actor: "ops", at: Self.t0)
        _ = try state.activate(member: "carrier-c", reason: "r", actor: "ops", force: false, at: Self.t0, activeCalls: 0)
        var reloaded = state.reconfigured(Self.group(cooling: 30))
        #expect(reloaded.history == state.history)
        #expect(reloaded.settings.cooling == .seconds(30))
        #expect(reloaded.coolingLeft(at: Self.t0 + 10) == 20)
        let next = try reloaded.activate(member: "carrier-a", reason: "r", actor: "ops", force: true, at: Self.t0 + 10,
                                         activeCalls: 0)
        #expect(next.version.version == 3, "the cancelled number 1 and applied 2 are not reused")
    }
}
