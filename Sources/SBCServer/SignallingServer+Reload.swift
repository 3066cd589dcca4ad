import AdminAPI
import B2BUA
import Foundation
import Glibc
import Logging
import Routing
import SBCConfig
import SBCStore

/// Configuration hot reload (docs/RELOAD.md), from SIGHUP or `POST /api/v1/config/reload`, on the
/// loop thread between two events, so no message sees half a configuration.
///
/// The order: read and validate the whole file with the loader `sbc check-config` uses; classify
/// every difference (``ConfigurationDiff``); check that the live part holds together without the
/// restart-only part; resolve trunk credentials and build the TLS contexts. Only when all of that
/// passed is anything swapped, so a bad file changes nothing. Then the B2BUA gets the new routing
/// table and settings (calls already up keep the settings they copied when they started), the
/// admin API its tokens, the alerts their webhook, and TLS its re-read certificates (SIGHUP has
/// always reloaded them; it is one reload now).
extension SignallingServer {
    /// Remembers the file the server was started from, for reloads and `GET /api/v1/config`.
    public func useConfigurationFile(path: String) {
        reloadState.path = path
        reloadState.digest = Self.digest(of: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
        reloadState.loadedAt = Double(time(nil))
        metrics.setConfigGeneration(reloadState.generation)
    }

    /// SIGHUP: the configuration file and the certificates, or the certificates alone when the
    /// server has no file.
    func reloadOnSignal() {
        guard reloadState.path != nil else {
            reloadTLS(actor: "SIGHUP", reason: "certificates reloaded on SIGHUP")
            return
        }
        _ = reloadConfiguration(actor: "SIGHUP", reason: "SIGHUP")
    }

    func configurationStatus() -> ConfigurationStatus? {
        reloadState.path == nil ? nil : reloadState.status
    }

    /// Reads, validates and applies the configuration file; answers what happened.
    func reloadConfiguration(actor: String, reason: String) -> ConfigReloadReport {
        let path = reloadState.path ?? ""
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return refuse([ConfigProblem(source: path, keyPath: "", message: "cannot read the file: \(error.localizedDescription)")],
                          actor: actor, reason: reason)
        }
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigLoader.parseReporting(yaml: text, source: path)
        } catch {
            return refuse(error.problems, actor: actor, reason: reason)
        }
        let diff = ConfigurationDiff(running: configuration, loaded: loaded.configuration)
        let problems = diff.problems(source: path)
        guard problems.isEmpty else { return refuse(problems, actor: actor, reason: reason, diff: diff) }
        let resolved = TrunkCredentialResolver.resolve(diff.effective)
        guard resolved.problems.isEmpty else {
            return refuse(resolved.problems.map { ConfigProblem(source: path, keyPath: "trunks", message: $0) },
                          actor: actor, reason: reason, diff: diff)
        }
        let credentials: TLSCredentials
        do {
            credentials = try TLSCredentials(configuration: diff.effective)
        } catch {
            return refuse([ConfigProblem(source: path, keyPath: error.key, message: "\(error.error)")],
                          actor: actor, reason: reason, diff: diff)
        }

        let live = diff.live
        if !live.isEmpty {
            apply(diff, credentials: credentials.isEnabled || tlsCredentials.isEnabled ? credentials : nil,
                  resolved: resolved.credentials, actor: actor)
            reloadState.generation += 1
            reloadState.digest = Self.digest(of: text)
            reloadState.loadedAt = Double(time(nil))
            metrics.setConfigGeneration(reloadState.generation)
        }
        reloadState.restartPending = !diff.restartRequired.isEmpty
        // The certificates are re-read on every reload, as SIGHUP always did.
        if tlsCredentials.isEnabled,
           let error = reloadTLS(actor: actor, reason: "certificates re-read by a configuration reload")
        {
            logger.error("configuration reload: certificates kept", metadata: ["error": "\(error)"])
        }
        let result = live.isEmpty ? "unchanged" : "applied"
        let report = ConfigReloadReport(
            result: result, actor: actor, path: path, configuration: reloadState.status,
            applied: live.map(Self.reportChange), restartRequired: diff.restartRequired.map(Self.reportChange),
            warnings: loaded.warnings.map { Self.reportProblem($0.location) })
        finish(report, reason: reason)
        return report
    }

    /// Swaps the live part of a reloaded configuration in.
    private func apply(_ diff: ConfigurationDiff, credentials: TLSCredentials?, resolved: [String: TrunkAuthSettings],
                       actor: String)
    {
        let previous = configuration
        let effective = diff.effective
        configuration = effective
        if let credentials { tlsCredentials = credentials }
        let workers = effective.media.workerCount(cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let health = b2bua.reconfigure(settings: B2BUASettings(configuration: effective, mediaWorkers: workers),
                                       routing: RoutingTable(configuration: effective), credentials: resolved,
                                       now: now)
        let at = Double(time(nil))
        for name in health.removed {
            let lock = health.locksDropped[name]
            operationalState.append(AuditEntry(
                at: at, subject: name, kind: "trunk", toState: "removed", cause: "config_reload",
                detail: "removed from the configuration" + (lock.map { "; its lock by \($0) is dropped" } ?? ""),
                actor: actor))
            trunkCounters.removeValue(forKey: name)
        }
        for name in health.started {
            metrics.setTrunkState(trunk: name, state: "up")
        }
        if previous.admin.tokens != effective.admin.tokens {
            adminServer?.replaceTokens(Self.adminTokens(effective.admin, logger: logger))
        }
        if previous.alerts != effective.alerts {
            alerts?.shutdown()
            alerts = effective.alerts.webhookURL.map {
                AlertNotifier(url: $0, timeout: effective.alerts.timeout, maxAttempts: effective.alerts.maxAttempts,
                              backoff: effective.alerts.backoff, logger: logger)
            }
        }
        emit([])
    }

    private func refuse(_ problems: [ConfigProblem], actor: String, reason: String,
                        diff: ConfigurationDiff? = nil) -> ConfigReloadReport
    {
        let report = ConfigReloadReport(
            result: "refused", actor: actor, path: reloadState.path ?? "", configuration: reloadState.status,
            restartRequired: diff?.restartRequired.map(Self.reportChange) ?? [],
            problems: problems.map(Self.reportProblem))
        finish(report, reason: reason)
        return report
    }

    /// Logs, audits and counts a reload, whatever its result.
    private func finish(_ report: ConfigReloadReport, reason: String) {
        let at = Double(time(nil))
        reloadState.lastReload = ConfigurationStatus.LastReload(result: report.result, actor: report.actor, at: at)
        metrics.configReload(result: report.result)
        let detail: String
        if report.isRefused {
            detail = "refused: " + report.problems.map { problem in
                (problem.line.map { "line \($0): " } ?? "") + (problem.key.isEmpty ? "" : problem.key + ": ")
                    + problem.message
            }.joined(separator: "; ")
            logger.error("configuration reload refused; nothing changed", metadata: [
                "actor": "\(report.actor)", "path": "\(report.path)", "problems": "\(detail)",
            ])
        } else {
            let applied = report.applied.map(Self.describe).joined(separator: ", ")
            let pending = report.restartRequired.map(Self.describe).joined(separator: ", ")
            detail = "\(report.result) generation \(report.configuration.generation)"
                + (applied.isEmpty ? "" : "; applied: \(applied)")
                + (pending.isEmpty ? "" : "; needs a restart (not applied): \(pending)")
            logger.notice("configuration reloaded", metadata: [
                "actor": "\(report.actor)", "path": "\(report.path)", "result": "\(report.result)",
                "generation": "\(report.configuration.generation)", "applied": "\(applied)",
                "restart_required": "\(pending)",
            ])
            for warning in report.warnings {
                logger.warning("configuration warning", metadata: [
                    "line": "\(warning.line.map(String.init) ?? "-")", "key": "\(warning.key)", "warning": "\(warning.message)",
                ])
            }
        }
        operationalState.append(AuditEntry(
            at: at, subject: "config", kind: "config", toState: report.result,
            cause: report.isRefused ? "config_reload_refused" : "config_reload",
            detail: "\(detail) (reason: \(reason))", actor: report.actor))
    }

    private static func describe(_ change: ConfigReloadReport.Change) -> String {
        "\(change.section)\(change.name.map { " \($0)" } ?? "") \(change.change)"
            + (change.keys.isEmpty ? "" : " (\(change.keys.joined(separator: " ")))")
    }

    static func reportChange(_ change: ConfigurationChange) -> ConfigReloadReport.Change {
        ConfigReloadReport.Change(section: change.section, name: change.name, change: change.kind.rawValue,
                                  keys: change.keys)
    }

    static func reportProblem(_ problem: ConfigProblem) -> ConfigReloadReport.Problem {
        ConfigReloadReport.Problem(key: problem.keyPath, line: problem.line, column: problem.column,
                                   message: problem.message)
    }

    static func digest(of text: String) -> String { AdminToken.sha256Hex(of: text) }
}
