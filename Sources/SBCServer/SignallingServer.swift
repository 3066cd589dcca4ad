import AdminAPI
import B2BUA
import Glibc
import Logging
import Media
import MediaRelay
import Routing
import SBCConfig
import SBCStore
import SBCSystem
import SIPCore
import SIPTransport
import TLS

/// Owns the signalling thread: the epoll loop, the SIP transports of every zone and the B2BUA,
/// and drives the B2BUA's single deadline with one loop timer.
///
/// Shutdown (SIGTERM/SIGINT): the B2BUA refuses new calls and lets established ones end for the
/// configured drain time, then closes the rest; the loop stops once no call and no transaction
/// is left (or a short grace after the drain deadline), and `run()` returns.
public final class SignallingServer {
    public static let product = "SwiftSBC/0.1"
    /// How long the process lingers after the last call ends during shutdown.
    static let exitGrace: Duration = .milliseconds(500)

    /// Replaced by a configuration reload with its live part (SignallingServer+Reload.swift).
    var configuration: SBCConfiguration
    let logger: Logger
    let loop: EventLoop
    private let transport: SIPTransportLayer
    var b2bua: B2BUA
    /// CDRs, written by the store's own thread: the loop only enqueues.
    let callRecords: CallRecordStore
    /// Trunk states, group states and the audit log (own writer thread), restored at start-up.
    let operationalState: OperationalStore
    /// Snapshots of established calls for a restart (SignallingServer+Recovery.swift); nil when
    /// `recovery.enabled` is false.
    let establishedCalls: EstablishedCallStore?
    private var restoredTrunks: [String: TrunkHealth.Snapshot] = [:]
    private var restoredGroups: [GroupStateRecord] = []
    let metrics = SBCMetrics()
    /// Admission of new calls, strangers' rate limit, loop lag (SignallingServer+Overload.swift).
    lazy var overloadGuard = OverloadGuard(configuration: configuration,
                                           metrics: OverloadMetrics(registry: metrics.registry), now: now)
    var adminServer: AdminServer?
    var alerts: AlertNotifier?
    /// Per trunk: calls attempted and failovers away from it, for the admin API's counters.
    var trunkCounters: [String: (attempted: Int, failovers: Int)] = [:]
    private var timer: TimerHandle?
    private var timerDeadline: MonotonicInstant?
    private var stopDeadline: MonotonicInstant?
    /// From a carrier's failure response arriving (kernel receive time) to the next candidate's
    /// INVITE handed to the kernel: the SBC's own measure of failover latency.
    private var failoverLatency = LatencyRecorder()
    /// From a mid-call failover's trigger reaching the loop to the new INVITE handed to the kernel.
    private var midCallReaction = LatencyRecorder()
    /// When the loop took the work now being emitted (kernel receive time for a message): the
    /// start of a mid-call failover's reaction time.
    private var workStartedAt = MonotonicInstant(nanoseconds: 0)
    /// The RTP/RTCP relay's worker threads; nil when `media.enabled` is false.
    private var mediaRelay: MediaRelay?
    /// TLS contexts for listeners and trunks, rebuilt on reload.
    var tlsCredentials: TLSCredentials
    /// The configuration file, its generation and digest (SignallingServer+Reload.swift).
    var reloadState = ConfigurationReloadState()
    /// Our certificates and every peer certificate seen, against the alert thresholds.
    var certificateExpiry: CertificateExpiryMonitor
    var certificateTimer: TimerHandle?
    /// When the timer for held-back first call snapshots fires (SignallingServer+Recovery.swift).
    var snapshotTimerDue: Duration?
    /// Media-path probes' RTP checks in progress, by probe (SignallingServer+MediaProbes.swift).
    var mediaProbeSessions: [UInt64: MediaProbeSession] = [:]
    /// The cluster's shared store: operator decisions of other nodes, heartbeats; nil with SQLite
    /// (SignallingServer+Cluster.swift).
    private(set) var clusterListener: ClusterStateListener?
    /// Which of the cluster's decisions are applied already (SignallingServer+Cluster.swift).
    var clusterDecisions = ClusterDecisionTracker()
    let callCount = CallCountGauge()

    public init(configuration: SBCConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        // Before any thread exists (the CDR writer is one): threads inherit the mask, and a thread
        // with SIGTERM unblocked would take the default action instead of the loop's signalfd.
        try EventLoop.blockSignals([SIGTERM, SIGINT, SIGHUP])
        let cdrPath = CallRecordStore.defaultPath(stateDirectory: configuration.node.stateDirectory)
        let node = configuration.node.name
        let buffer = configuration.store.buffer
        var postgres: (PostgresEndpoint, PostgresStoreSettings)?
        switch configuration.store.backend {
        case .sqlite:
            callRecords = try CallRecordStore(path: cdrPath, logger: logger, capacity: buffer, node: node)
            operationalState = try OperationalStore(path: cdrPath, logger: logger, capacity: buffer, node: node)
        case .postgres(let settings):
            let endpoint = try Self.postgresEndpoint(settings)
            callRecords = try CallRecordStore(postgres: endpoint, node: node, logger: logger, capacity: buffer)
            operationalState = try OperationalStore(postgres: endpoint, node: node, logger: logger, capacity: buffer)
            postgres = (endpoint, settings)
        }
        // Restart snapshots stay in the node's own file: they belong to the process holding the calls.
        establishedCalls = try Self.openEstablishedCalls(configuration, path: cdrPath, logger: logger)
        logger.notice("state database open", metadata: ["path": "\(cdrPath)", "store": "\(operationalState.path)"])
        alerts = configuration.alerts.webhookURL.map {
            AlertNotifier(url: $0, timeout: configuration.alerts.timeout, maxAttempts: configuration.alerts.maxAttempts,
                          backoff: configuration.alerts.backoff, logger: logger)
        }
        tlsCredentials = try TLSCredentials(configuration: configuration)
        certificateExpiry = CertificateExpiryMonitor(thresholdsDays: configuration.tls.expiryAlertDays)
        loop = try EventLoop()
        let sip = configuration.sip
        transport = SIPTransportLayer(
            loop: loop, maxMessageBytes: sip.maxMessageBytes,
            policy: Self.streamPolicy(configuration, logger: logger), logger: logger)
        transport.udpReceiveBufferBytes = Int32(clamping: configuration.overload.receiveBufferBytes)
        let media = configuration.media
        let mediaWorkers = media.workerCount(cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        b2bua = B2BUA(settings: B2BUASettings(configuration: configuration,
                                              mediaWorkers: mediaWorkers),
                      routing: RoutingTable(configuration: configuration), logger: logger)
        // Trunk passwords (docs/AUTH.md) are read now, by the process that uses them, and never logged.
        let credentials = TrunkCredentialResolver.resolve(configuration)
        for warning in credentials.warnings { logger.warning("configuration warning", metadata: ["warning": "\(warning)"]) }
        guard credentials.problems.isEmpty else {
            throw ConfigError(problems: credentials.problems.map { ConfigProblem(source: "trunk credentials", keyPath: "", message: $0) })
        }
        b2bua.useCredentials(credentials.credentials)
        if media.enabled {
            // Four sockets per audio call: the default soft limit of 1024 would cap the SBC at
            // about 250 calls.
            let files = try ResourceLimits.raiseOpenFileLimit()
            let loop = self.loop
            let events = MediaEventInbox()
            mediaRelay = try MediaRelay(
                settings: MediaRelaySettings(workers: mediaWorkers,
                                             latchPolicy: media.latching == .any ? .anySource : .signalledAddress,
                                             socketLayout: media.socketLayout == .lookup ? .lookup : .perPort,
                                             portRange: media.portMin...media.portMax,
                                             mediaAddresses: configuration.zones.map(\.effectiveMediaAddress),
                                             sendBatching: media.sendBatching == .sendmmsg ? .sendmmsg : .auto),
                logger: logger,
                events: { event in loop.execute { events.deliver(event) } })
            logger.notice("media anchoring on", metadata: [
                "workers": "\(mediaWorkers)", "ports": "\(media.portMin)-\(media.portMax)", "open_files": "\(files)",
                "timeout_s": "\(media.timeout.map { "\($0.components.seconds)" } ?? "off")",
            ])
            events.server = self
        }
        for zone in configuration.zones {
            try transport.addZone(name: zone.name, bind: zone.bind, udpPort: zone.udpPort, tcpPort: zone.tcpPort,
                                  tlsPort: zone.tlsPort)
            logger.notice("zone listening", metadata: [
                "zone": "\(zone.name)", "bind": "\(zone.bind)",
                "udp": "\(zone.udpPort.map(String.init) ?? "-")", "tcp": "\(zone.tcpPort.map(String.init) ?? "-")",
                "tls": "\(zone.tlsPort.map(String.init) ?? "-")",
            ])
        }
        transport.onMessage = { [unowned self] message in self.receive(message) }
        transport.onTransportError = { [unowned self] failure in self.transportFailed(failure) }
        transport.tlsServerContext = { [unowned self] zone, peer in self.tlsCredentials.serverContext(zone: zone, peer: peer) }
        transport.tlsClientTarget = { [unowned self] zone, destination in
            self.tlsCredentials.clientTarget(zone: zone, destination: destination)
        }
        transport.onTLSHandshake = { [unowned self] report in self.tlsHandshakeEnded(report) }
        installOverloadControl(transport)
        try loop.onSignals([SIGTERM, SIGINT, SIGHUP]) { [unowned self] signal in
            if signal == SIGHUP {
                self.reloadOnSignal()
            } else {
                self.beginShutdown(signal: signal)
            }
        }
        let clock = WallClockAnchor(monotonicNow: now)
        for record in try operationalState.loadTrunkStates() {
            restoredTrunks[record.trunk] = TrunkStateMapping.snapshot(record, clock: clock)
        }
        restoredGroups = try operationalState.loadGroupStates().filter(\.forcedFailover)
        if let (endpoint, settings) = postgres {
            clusterListener = makeClusterListener(endpoint: endpoint, settings: settings)
        }
        if configuration.admin.enabled {
            let idempotency = try postgres.map { endpoint, _ in IdempotencyStore(postgres: endpoint, logger: logger) }
                ?? IdempotencyStore(path: cdrPath)
            adminServer = AdminServer(
                listen: configuration.admin.listenAddress, tokens: Self.adminTokens(configuration.admin, logger: logger),
                backend: AdminBridge(server: self, loop: loop, state: operationalState),
                idempotency: StoredIdempotencyCache(store: idempotency), metrics: metrics, logger: logger)
        }
    }

    /// Config tokens by hash, or read once from the environment and kept only as a hash.
    static func adminTokens(_ settings: AdminSettings, logger: Logger) -> [AdminToken] {
        settings.tokens.compactMap { token in
            if let hash = token.sha256 { return AdminToken(name: token.name, sha256Hex: hash, scopes: token.scopes) }
            guard let variable = token.environment, let value = getenv(variable).map({ String(cString: $0) }),
                  !value.isEmpty
            else {
                logger.error("admin token has no value", metadata: ["token": "\(token.name)"])
                return nil
            }
            return AdminToken(name: token.name, sha256Hex: AdminToken.sha256Hex(of: value), scopes: token.scopes)
        }
    }

    /// Runs until shutdown completes.
    public func run() throws(SystemError) {
        logger.notice("SBC started", metadata: ["node": "\(configuration.node.name)", "version": "\(Self.product)"])
        for group in restoredGroups { b2bua.restoreForcedFailover(group: group.group, actor: group.actor ?? "restored") }
        restoreValidations()
        restoreActivations()
        emit(b2bua.startHealthMonitoring(now: now, snapshots: restoredTrunks))
        if clusterListener != nil {
            // Every trunk's row in this node's view from the start, not only after a first change.
            let clock = WallClockAnchor(monotonicNow: now)
            for trunk in configuration.trunks {
                guard let health = b2bua.trunkHealth(named: trunk.name) else { continue }
                operationalState.save(TrunkStateMapping.record(health.snapshot(now: now), trunk: trunk.name, clock: clock))
            }
            // The cluster's locks and forced failovers hold before the loop takes its first call;
            // the listener keeps them current from then on.
            do {
                if let decisions = try operationalState.loadClusterDecisions() { applyClusterDecisions(decisions) }
            } catch {
                logger.error("cluster decisions unreadable at start-up", metadata: ["error": "\(error)"])
            }
            clusterListener?.start()
        }
        restoreEstablishedCalls()
        emit(b2bua.startRegistrations(now: now))
        watchOwnCertificates()
        if let adminServer {
            let server = UncheckedAdmin(server: adminServer, logger: logger)
            Task.detached {
                do { try await server.server.run() } catch {
                    server.logger.critical("admin API failed", metadata: ["error": "\(error)"])
                }
            }
        }
        publishMediaCounters()
        publishCallGauges()
        try loop.run()
        mediaRelay?.stopAndJoin()
        clusterListener?.stop()
        b2bua.flushMediaStatistics(now: now)
        adminServer?.shutdown()
        alerts?.shutdown()
        transport.close()
        loop.close()
        recordFinishedCalls()
        callRecords.close()
        operationalState.close()
        establishedCalls?.close()
        if failoverLatency.count > 0 {
            logger.notice("failover latency", metadata: [
                "failovers": "\(failoverLatency.count)", "latency": "\(failoverLatency.summary)",
            ])
        }
        if midCallReaction.count > 0 {
            logger.notice("mid-call failover reaction", metadata: [
                "failovers": "\(midCallReaction.count)", "reaction": "\(midCallReaction.summary)",
            ])
        }
        logger.notice("SBC stopped")
    }

    var now: Duration { .nanoseconds(Int64(clamping: loop.now.nanoseconds)) }

    private func receive(_ message: InboundMessage) {
        guard admitted(message, transport: transport) else { return }
        defer { closeStrangerConnection(after: message, transport: transport) }
        let source = SIPEndpoint(host: message.source.host, port: message.source.port, transport: message.transport,
                                 zone: message.zone, connection: message.connection)
        let failoversBefore = b2bua.failovers
        workStartedAt = message.receivedAt
        emit(b2bua.receive(message.bytes, from: source, now: now))
        if b2bua.failovers != failoversBefore { failoverLatency.record(loop.now - message.receivedAt) }
    }

    private func transportFailed(_ failure: TransportFailure) {
        logger.warning("transport error", metadata: ["failure": "\(failure)"])
        let destination = SIPEndpoint(host: failure.destination.host, port: failure.destination.port,
                                      transport: failure.transport, zone: failure.zone)
        workStartedAt = loop.now
        emit(b2bua.transportFailed(to: destination, reason: "\(failure.cause)", now: now))
    }

    /// How often the relay's counters reach /metrics.
    static let mediaCounterInterval: Duration = .seconds(1)

    /// Copies the relay's counters into the metrics, then again every second.
    private func publishMediaCounters() {
        guard let mediaRelay else { return }
        let counters = mediaRelay.counters()
        metrics.setMedia(sessions: counters.sessions, totals: SBCMetrics.MediaTotals(
            relayed: counters.packetsRelayed, dropped: counters.packetsDropped, bytes: counters.bytesRelayed,
            timeouts: counters.timeouts, icmpErrors: counters.icmpErrors, srtpAuthFailures: counters.srtpAuthFailures,
            srtpReplays: counters.srtpReplays, srtpErrors: counters.srtpErrors))
        _ = loop.schedule(after: Self.mediaCounterInterval) { [unowned self] in self.publishMediaCounters() }
    }

    /// An event from a media worker, on the loop thread.
    func mediaEvent(_ event: MediaEvent) {
        workStartedAt = loop.now
        emit(b2bua.mediaEvent(event, now: now))
    }

    func emit(_ outbound: [SIPOutbound]) {
        for item in outbound {
            let destination = item.destination
            guard let address = try? SocketAddress(host: destination.host, port: destination.port) else {
                logger.error("unusable destination", metadata: ["destination": "\(destination)"])
                continue
            }
            let bytes = item.message.serialized()
            if let connection = destination.connection, transport.send(bytes, over: connection) { continue }
            transport.send(bytes, to: address, transport: destination.transport, zone: destination.zone)
        }
        if let mediaRelay {
            for instruction in b2bua.takeMediaInstructions() { mediaRelay.submit(instruction.command, worker: instruction.worker) }
        }
        startMediaProbes()
        recordFinishedCalls()
        persistEstablishedCalls()
        recordHealthEvents()
        recordActivations()
        recordMidCallReports()
        recordActivity()
        recordDTMFCounts()
        recordValidationEvents()
        rearm()
    }

    private func recordMidCallReports() {
        for report in b2bua.takeMidCallReports() {
            switch report {
            case .triggered(let trunk, let trigger):
                metrics.midCallFailover(from: trunk, trigger: "\(trigger)")
            case .invited(_, let waited):
                let reaction = waited + (loop.now - workStartedAt)
                midCallReaction.record(reaction)
                metrics.midCallReaction(reaction)
            case .audioGap(let gap):
                metrics.midCallAudioGap(gap)
            case .failed:
                metrics.midCallFailoverFailed()
            }
        }
    }

    private func recordFinishedCalls() {
        let finished = b2bua.takeFinishedCalls()
        guard !finished.isEmpty else { return }
        let mapping = CallRecordMapping(clock: WallClockAnchor(monotonicNow: now))
        for summary in finished {
            callRecords.record(mapping.record(summary))
            for attempt in summary.attempts where attempt.outcome != .skipped {
                metrics.callAttempted(trunk: attempt.trunk)
                trunkCounters[attempt.trunk, default: (0, 0)].attempted += 1
                if attempt.outcome == .answered { metrics.callAnswered(trunk: attempt.trunk) }
                if attempt.overflow { metrics.overflowCall(trunk: attempt.trunk) }
                if attempt.outcome == .failedOver {
                    metrics.failover(from: attempt.trunk, cause: attempt.responseCode.map(String.init) ?? "timeout")
                    trunkCounters[attempt.trunk, default: (0, 0)].failovers += 1
                }
            }
        }
        metrics.setActiveCalls(b2bua.activeCalls)
    }

    /// Every carrier state change: persisted, audited, exported as metrics, sent to the webhook.
    private func recordHealthEvents() {
        let events = b2bua.takeHealthEvents()
        guard !events.isEmpty else { return }
        let clock = WallClockAnchor(monotonicNow: now)
        for event in events {
            switch event {
            case .trunk(let change):
                operationalState.append(TrunkStateMapping.audit(change, clock: clock))
                if let health = b2bua.trunkHealth(named: change.trunk) {
                    let snapshot = health.snapshot(now: now)
                    operationalState.save(TrunkStateMapping.record(snapshot, trunk: change.trunk, clock: clock))
                    if let rtt = snapshot.lastProbeRTT {
                        metrics.setProbeRTT(trunk: change.trunk, seconds: WallClockAnchor.seconds(rtt))
                    }
                }
                metrics.setTrunkState(trunk: change.trunk, state: change.to.rawValue)
                alerts?.notify([
                    "kind": "trunk", "trunk": change.trunk, "from": change.from.rawValue, "to": change.to.rawValue,
                    "cause": change.cause, "detail": change.detail, "actor": change.actor ?? "",
                    "at": "\(clock.wall(change.at))", "node": configuration.node.name,
                ])
            case .group(let name, let forced, let actor, let reason, let at):
                operationalState.append(AuditEntry(
                    at: clock.wall(at), subject: name, kind: "group", fromState: forced ? "normal" : "forced_failover",
                    toState: forced ? "forced_failover" : "normal", cause: forced ? "operator_failover" : "failback_approved",
                    detail: reason, actor: actor))
                alerts?.notify([
                    "kind": "group", "group": name, "forced_failover": "\(forced)", "actor": actor, "reason": reason,
                    "at": "\(clock.wall(at))", "node": configuration.node.name,
                ])
            case .mediaProbe(let trunk, let result, _, _):
                metrics.mediaProbe(trunk: trunk, result: result.rawValue)
            }
        }
    }

    /// Keeps exactly one loop timer at the B2BUA's earliest deadline.
    private func rearm() {
        if let deadline = stopDeadline, b2bua.activeCalls == 0 {
            // Calls are gone: give in-flight transactions a moment to absorb retransmissions.
            let lastCall = min(deadline, loop.now + Self.exitGrace)
            stopDeadline = lastCall
            if (b2bua.activeTransactions == 0 && b2bua.awaitedMediaStatistics == 0) || loop.now >= lastCall {
                loop.stop()
                return
            }
        }
        var wanted = B2BUAReads.nextDeadline(of: &b2bua)
            .map { MonotonicInstant(nanoseconds: UInt64(max(0, $0.nanosecondsValue))) }
        if let stopDeadline { wanted = min(wanted ?? stopDeadline, stopDeadline) }
        guard wanted != timerDeadline else { return }
        if let timer { _ = loop.cancel(timer) }
        timer = nil
        timerDeadline = wanted
        guard let wanted else { return }
        timer = loop.schedule(at: wanted) { [unowned self] in
            self.timer = nil
            self.timerDeadline = nil
            self.sampleLag(scheduledFor: wanted)
            self.workStartedAt = self.loop.now
            self.emit(self.b2bua.advance(to: self.now))
        }
    }

    private func beginShutdown(signal: Int32) {
        guard stopDeadline == nil else {
            logger.warning("second signal, stopping now", metadata: ["signal": "\(signal)"])
            loop.stop()
            return
        }
        if configuration.shutdown.mode == .restart, establishedCalls != nil {
            stopForRestart(signal: signal)
            return
        }
        logger.notice("shutdown requested", metadata: ["signal": "\(signal)", "calls": "\(b2bua.activeCalls)"])
        // After the drain deadline the B2BUA sends BYEs; allow their transactions a few seconds.
        stopDeadline = loop.now + configuration.shutdown.drain + .seconds(5)
        emit(b2bua.beginDrain(now: now))
    }
}

/// Hands media events to the server on its loop thread. The relay is created before the server
/// is fully initialised, hence the late `server`; it is only ever touched on the loop thread.
private final class MediaEventInbox: @unchecked Sendable {
    unowned(unsafe) var server: SignallingServer?

    func deliver(_ event: MediaEvent) {
        server?.mediaEvent(event)
    }
}

/// Carries the admin server into its detached task; it is Sendable in practice (its state is
/// behind its own locks), the logger too.
private struct UncheckedAdmin: @unchecked Sendable {
    let server: AdminServer
    let logger: Logger
}

extension Duration {
    /// Whole nanoseconds, saturating (deadlines are never anywhere near the limits).
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue + attoseconds / 1_000_000_000
    }
}
