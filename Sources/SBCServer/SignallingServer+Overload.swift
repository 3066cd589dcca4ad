import AdminAPI
import CSBCLinux
import Glibc
import Logging
import SBCConfig
import SBCSystem
import SIPCore
import SIPTransport

/// Overload control and connection limits on the signalling loop (docs/OVERLOAD.md): every
/// message passes `admitted(_:)` before the parser; new calls beyond what the SBC can take get
/// 503 with Retry-After there, strangers over their rate are dropped unanswered, and the loop's
/// lag is sampled every 10 ms to tell the B2BUA when probe timeouts are the SBC's own fault.
extension SignallingServer {
    /// Descriptors kept for everything that is not an inbound TCP/TLS connection: UDP and
    /// listening sockets, the state database, the admin API, the loop's own, dialled carriers.
    static let reservedDescriptors = 512
    /// The To-tag prefix of overload 503s, so their ACKs are recognised before the parser.
    static let refusalTagPrefix: [UInt8] = Array("ovl".utf8)

    /// The stream policy from the configuration, with the connection limit capped so TCP can
    /// never take the descriptors media and SIP need. Raises `RLIMIT_NOFILE` to the hard limit
    /// first, whether or not media is anchored.
    static func streamPolicy(_ configuration: SBCConfiguration, logger: Logger) -> StreamConnectionPolicy {
        let sip = configuration.sip
        var policy = StreamConnectionPolicy(idleTimeout: sip.tcpIdleTimeout, handshakeTimeout: configuration.tls.handshakeTimeout,
                                            keepAliveInterval: sip.keepAliveInterval, maxConnections: sip.maxConnections,
                                            maxConnectionsPerSource: sip.maxConnectionsPerSource)
        policy.messageDeadline = sip.messageDeadline
        let files: Int
        do {
            files = Int(clamping: try ResourceLimits.raiseOpenFileLimit())
        } catch {
            logger.warning("could not raise the open file limit", metadata: ["error": "\(error)"])
            return policy
        }
        let media = configuration.media.enabled ? configuration.media.portMax - configuration.media.portMin + 1 : 0
        if media + reservedDescriptors > files {
            // Every relay port is a socket: past the limit, binds fail and calls get 503 (media
            // ports exhausted) with ports still free in the range (bench/concurrent.sh found it).
            let calls = max(0, files - reservedDescriptors) / MediaPortCapacity.portsPerCall
            logger.warning("open file limit below the media port range: fewer calls than the range allows", metadata: [
                "open_files": "\(files)", "media_ports": "\(media)",
                "range_calls": "\(configuration.media.audioCallCapacity)", "descriptor_calls": "\(calls)",
                "fix": "raise LimitNOFILE (systemd) or ulimit -n to at least \(media + reservedDescriptors)",
            ])
        }
        let share = max(16, (files - media - reservedDescriptors) / 2)
        if share < policy.maxConnections {
            logger.warning("TCP/TLS connections capped below sip.max_connections to keep descriptors for media and SIP", metadata: [
                "max_connections": "\(policy.maxConnections)", "cap": "\(share)", "open_files": "\(files)",
                "media_ports": "\(media)",
            ])
            policy.maxConnections = share
        }
        logger.notice("descriptor budget", metadata: [
            "open_files": "\(files)", "media_ports": "\(media)", "max_connections": "\(policy.maxConnections)",
        ])
        return policy
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Wires the transport's load and connection callbacks and starts the lag sampler.
    func installOverloadControl(_ transport: SIPTransportLayer) {
        transport.onReceiveDrain = { [unowned self] drain in
            if let wait = drain.oldestWait { self.overloadGuard.worstLag = max(self.overloadGuard.worstLag, wait) }
            self.overloadGuard.admission.sampleDrain(socket: drain.zone, oldestWait: drain.oldestWait,
                                                     queuedBytes: drain.queuedBytes, bufferBytes: drain.bufferBytes,
                                                     now: self.now)
            self.reportOwnLoad()
        }
        transport.admitsConnection = { [unowned self] zone, peer in
            self.overloadGuard.unknownSource == .reject || B2BUAReads.isTrunkSource(&self.b2bua, zone: zone, address: peer.host)
        }
        scheduleLagSample(at: loop.now + OverloadGuard.lagTick)
        publishOverload(transport)
    }

    /// The check before the parser: false when the message is dropped (a blocked stranger) or
    /// already answered (a new call refused with 503).
    func admitted(_ message: InboundMessage, transport: SIPTransportLayer) -> Bool {
        let now = self.now
        guard B2BUAReads.isTrunkSource(&b2bua, zone: message.zone, address: message.source.host) else {
            switch overloadGuard.strangers.admit(message.source.host, now: now) {
            case .allow:
                return true
            case .drop(let newlyBlocked):
                overloadGuard.metrics.rateLimitedRequest()
                if newlyBlocked {
                    logger.warning("source blocked: over security.rate_limit", metadata: [
                        "source": "\(message.source.host)", "zone": "\(message.zone)",
                        "block_s": "\(overloadGuard.strangers.settings.blockDuration.components.seconds)",
                    ])
                }
                if let connection = message.connection { transport.closeConnection(connection) }
                return false
            }
        }
        guard SIPRequestPeek.isNewCall(message.bytes) else {
            // The ACK of one of our stateless 503s: nothing to match, nothing to parse.
            return !SIPRequestPeek.isAck(message.bytes, toTagPrefix: Self.refusalTagPrefix)
        }
        // A UDP message carries the kernel's receive time: how long this INVITE waited for the SBC.
        // Streams have none (nil): their admission falls back to the loop timers' lag.
        var waited: Duration?
        if message.transport == .udp {
            let handledAt = loop.now
            waited = handledAt > message.receivedAt ? handledAt - message.receivedAt : .zero
        }
        switch overloadGuard.admission.admitNewCall(socket: message.zone, waited: waited, now: now) {
        case .admit:
            return true
        case .refuse(let refusal):
            refuseNewCall(message, refusal, transport: transport)
            reportOwnLoad()
            return false
        }
    }

    /// A stranger's connection ends once its answer (403) has left; it is never kept open.
    func closeStrangerConnection(after message: InboundMessage, transport: SIPTransportLayer) {
        guard let connection = message.connection,
              !B2BUAReads.isTrunkSource(&b2bua, zone: message.zone, address: message.source.host) else { return }
        overloadGuard.metrics.connectionsClosed(reason: "stranger", count: 1)
        transport.closeConnectionAfterFlush(connection)
    }

    /// 503 with Retry-After and a Reason, statelessly: no transaction, no call, no CDR; a
    /// retransmitted INVITE is refused again the same way, and the ACK matches nothing. Built
    /// from the INVITE's bytes (`StatelessRefusal`); only a request it cannot answer that way
    /// goes through the parser.
    private func refuseNewCall(_ message: InboundMessage, _ refusal: AdmissionControl.Refusal,
                               transport: SIPTransportLayer) {
        overloadGuard.metrics.rejectedCall(reason: refusal.rawValue)
        let server = configuration.security.serverHeader
        if overloadGuard.refusals.server != server {
            overloadGuard.refusals = StatelessRefusal(tagPrefix: Self.refusalTagPrefix,
                                                      retryAfter: overloadGuard.settings.retryAfter, server: server)
        }
        let bytes: [UInt8]
        if let built = overloadGuard.refusals.response(to: message.bytes, refusal) {
            bytes = built
        } else {
            guard let parsed = parsedRefusal(message, refusal, server: server) else { return }
            bytes = parsed
        }
        logger.debug("new call refused: overload", metadata: [
            "call_id": "\(StatelessRefusal.callID(of: message.bytes) ?? "-")", "reason": "\(refusal.rawValue)",
            "source": "\(message.source)", "zone": "\(message.zone)",
        ])
        if let connection = message.connection, transport.send(bytes, over: connection) { return }
        transport.send(bytes, to: message.source, transport: message.transport, zone: message.zone)
    }

    /// The 503 through the parser, for a request `StatelessRefusal` could not copy lines from.
    private func parsedRefusal(_ message: InboundMessage, _ refusal: AdmissionControl.Refusal,
                               server: String?) -> [UInt8]? {
        guard let request = try? SIPMessage(parsing: message.bytes) else { return nil }
        var headers = [SIPHeaderField(.reason, "SIP;cause=503;text=\"\(refusal.text)\"")]
        if overloadGuard.settings.retryAfter > 0 {
            headers.append(SIPHeaderField(.retryAfter, "\(overloadGuard.settings.retryAfter)"))
        }
        if let server { headers.append(SIPHeaderField(.server, server)) }
        let response = SIPResponseBuilder.response(to: request, statusCode: 503, reason: "Service Unavailable",
                                                   toTag: String(decoding: Self.refusalTagPrefix, as: UTF8.self)
                                                       + "\(UInt32.random(in: 1...UInt32.max))",
                                                   extraHeaders: headers)
        return response.serialized()
    }

    /// How late a timer fired is the loop's lag: the sampler's own, and the B2BUA's timer (so a
    /// probe timeout that fires late already knows the loop was lagging).
    func sampleLag(scheduledFor deadline: MonotonicInstant) {
        let lag = loop.now > deadline ? loop.now - deadline : .zero
        overloadGuard.worstLag = max(overloadGuard.worstLag, lag)
        overloadGuard.admission.sampleLag(lag, now: now)
        reportOwnLoad()
    }

    private func scheduleLagSample(at deadline: MonotonicInstant) {
        loop.schedule(at: deadline) { [unowned self] in
            let lag = loop.now > deadline ? loop.now - deadline : .zero
            overloadGuard.metrics.lagSample(lag)
            sampleLag(scheduledFor: deadline)
            scheduleLagSample(at: loop.now + OverloadGuard.lagTick)
        }
    }

    /// Tells the B2BUA and the metrics when the overloaded state changes, and logs it.
    func reportOwnLoad() {
        let overloaded = overloadGuard.admission.isOverloaded(now: now)
        guard overloaded != overloadGuard.reportedOverloaded else { return }
        overloadGuard.reportedOverloaded = overloaded
        b2bua.ownLoadChanged(overloaded: overloaded, now: now)
        overloadGuard.metrics.setOverloaded(overloaded)
        if overloaded {
            var metadata: Logger.Metadata = ["lag_ms": "\(Self.milliseconds(overloadGuard.worstLag))"]
            if case .overloaded(let cause, _) = overloadGuard.admission.load { metadata["cause"] = "\(cause.rawValue)" }
            logger.warning("SBC overloaded: refusing new calls beyond what it can take", metadata: metadata)
        } else {
            logger.notice("SBC load back to normal")
        }
    }

    /// Once a second: lag gauge, blocked sources, the transport's protective closures, and
    /// memory given back once the load has fallen.
    private func publishOverload(_ transport: SIPTransportLayer) {
        let metrics = overloadGuard.metrics
        metrics.setLag(overloadGuard.worstLag)
        overloadGuard.worstLag = .zero
        metrics.setBlockedSources(overloadGuard.strangers.blockedCount(now: now))
        let counters = transport.counters
        for (reason, total) in [("slow", counters.tcpClosedSlow), ("shed", counters.connectionsShed),
                                ("stranger", counters.connectionsFromStrangersRefused),
                                ("limit", counters.connectionsRefused)] {
            metrics.connectionsClosed(reason: reason, count: total - overloadGuard.publishedClosures[reason, default: 0])
            overloadGuard.publishedClosures[reason] = total
        }
        returnMemoryIfLoadFell()
        loop.schedule(after: .seconds(1)) { [unowned self] in self.publishOverload(transport) }
    }

    /// Memory follows the load (`overload.trim_memory`): once the live signalling state (calls
    /// and transactions, which linger 64 x T1 after a call) has fallen to a quarter of its peak
    /// since the last trim, the B2BUA's tables are shrunk to what they hold and freed heap is
    /// returned to the kernel (`malloc_trim`, every arena). Why not right after an overload:
    /// the storm's transactions are still alive then, and what they free 32 s later stayed with
    /// the process.
    func returnMemoryIfLoadFell() {
        let live = b2bua.activeCalls + b2bua.activeTransactions
        overloadGuard.peakLiveState = max(overloadGuard.peakLiveState, live)
        guard overloadGuard.settings.trimMemory, overloadGuard.peakLiveState >= OverloadGuard.trimMinimumState,
              live * 4 <= overloadGuard.peakLiveState, now - overloadGuard.lastTrim >= OverloadGuard.trimInterval
        else { return }
        let peak = overloadGuard.peakLiveState
        overloadGuard.peakLiveState = live
        overloadGuard.lastTrim = now
        let before = OverloadGuard.residentBytes() ?? 0
        let start = loop.now
        b2bua.shrinkStorage(now: now)
        _ = csbc_malloc_trim()
        let after = OverloadGuard.residentBytes() ?? 0
        logger.notice("memory returned after the load fell (tables shrunk, malloc_trim)", metadata: [
            "rss_before_mb": "\(before >> 20)", "rss_after_mb": "\(after >> 20)",
            "took_ms": "\(Self.milliseconds(loop.now - start))", "live_state": "\(live)", "peak_state": "\(peak)",
        ])
    }
}
