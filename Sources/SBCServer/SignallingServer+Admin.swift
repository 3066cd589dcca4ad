import Foundation
import AdminAPI
import B2BUA
import Routing
import SBCConfig
import SBCStore

/// What the admin API asks of the signalling loop. Runs on the loop thread only (see
/// `AdminBridge`), so it reads and changes call state without locks.
extension SignallingServer {
    enum TrunkCommand {
        case lock(trunk: String)
        case unlock(trunk: String)
    }

    func trunkStatuses() -> [TrunkStatus] {
        configuration.trunks.compactMap { trunkStatus(named: $0.name) }
    }

    func trunkStatus(named name: String) -> TrunkStatus? {
        guard let health = b2bua.trunkHealth(named: name) else { return nil }
        let counts = trunkCounters[name] ?? (0, 0)
        let counters = TrunkCounters(
            probesSent: health.probesSent, probesFailed: health.probesFailed,
            consecutiveFailures: health.consecutiveFailures, consecutiveSuccesses: health.consecutiveSuccesses,
            activeCalls: b2bua.availability.activeCalls(on: name), callsAttempted: counts.attempted,
            failovers: counts.failovers)
        let clock = WallClockAnchor(monotonicNow: now)
        var status = TrunkStateMapping.status(health.snapshot(now: now), trunk: name, counters: counters, clock: clock)
        if let binding = b2bua.registration(of: name), let trunk = configuration.trunks.first(where: { $0.name == name }) {
            let registrar = "\(trunk.register?.registrarHost ?? trunk.address):\(trunk.register?.registrarPort ?? trunk.port)"
            status.registration = TrunkRegistrationStatus(
                state: binding.state.rawValue, registered: binding.bound, registrar: registrar,
                expiresAt: binding.bound ? binding.expiresAt.map(clock.wall) : nil,
                nextAttemptAt: binding.nextAttempt.map(clock.wall), lastStatus: binding.lastStatus,
                detail: binding.detail, failures: binding.failures)
        }
        status.mediaProbe = mediaProbeStatus(of: name)
        return status
    }

    func operatorCommand(_ command: TrunkCommand, reason: String, actor: String) -> Result<TrunkStatus, AdminError> {
        if let refusal = refusalWhileStoreAway() { return .failure(.unavailable(refusal)) }
        let trunk: String
        let locked: Bool
        do {
            switch command {
            case .lock(let name):
                (trunk, locked) = (name, true)
                try b2bua.lock(trunk: name, reason: reason, actor: actor, now: now)
            case .unlock(let name):
                (trunk, locked) = (name, false)
                try b2bua.unlock(trunk: name, reason: reason, actor: actor, now: now)
            }
        } catch {
            return .failure(.notFound("no trunk named \(Self.name(of: error))"))
        }
        // The decision as intent, for the other nodes of a cluster (SignallingServer+Cluster.swift).
        operationalState.save(TrunkLockRecord(trunk: trunk, locked: locked, actor: actor, reason: reason,
                                              updatedAt: Date().timeIntervalSince1970))
        emit([])
        return trunkStatus(named: trunk).map { .success($0) } ?? .failure(.notFound("no trunk named \(trunk)"))
    }

    func groupCommand(group: String, force: Bool, reason: String, actor: String) -> Result<GroupStatus, AdminError> {
        if let refusal = refusalWhileStoreAway() { return .failure(.unavailable(refusal)) }
        do {
            if force {
                try b2bua.forceFailover(group: group, reason: reason, actor: actor, now: now)
            } else {
                try b2bua.approveFailBack(group: group, reason: reason, actor: actor, now: now)
            }
        } catch {
            return .failure(.notFound("no trunk group named \(Self.name(of: error))"))
        }
        // Restored at start-up, and the intent other nodes of a cluster apply.
        operationalState.save(GroupStateRecord(group: group, forcedFailover: force, actor: actor, reason: reason))
        emit([])
        guard let settings = configuration.trunkGroup(named: group) else { return .failure(.notFound(group)) }
        return .success(GroupStatus(
            name: group, strategy: settings.strategy.rawValue, failBack: settings.failBack.rawValue,
            forcedFailover: b2bua.isFailoverForced(group: group), members: settings.members,
            awaitingApproval: settings.members.filter { b2bua.trunkHealth(named: $0)?.awaitingApproval == true },
            activationVersion: b2bua.activation(of: group)?.current.version, firstMember: b2bua.activation(of: group)?.firstMember))
    }

    private static func name(of error: B2BUA.OperatorError) -> String {
        switch error {
        case .unknownTrunk(let name), .unknownGroup(let name): name
        }
    }
}
