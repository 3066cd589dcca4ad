import B2BUA
import Glibc
import Logging
import Routing
import SBCConfig
import SBCStore
import SBCSystem
import SIPTransport

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

    private let configuration: SBCConfiguration
    private let logger: Logger
    private let loop: EventLoop
    private let transport: SIPTransportLayer
    private var b2bua: B2BUA
    /// CDRs, written by the store's own thread: the loop only enqueues.
    private let callRecords: CallRecordStore
    private var timer: TimerHandle?
    private var timerDeadline: MonotonicInstant?
    private var stopDeadline: MonotonicInstant?
    /// From a carrier's failure response arriving (kernel receive time) to the next candidate's
    /// INVITE handed to the kernel: the SBC's own measure of failover latency.
    private var failoverLatency = LatencyRecorder()

    public init(configuration: SBCConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        // Before any thread exists (the CDR writer is one): threads inherit the mask, and a thread
        // with SIGTERM unblocked would take the default action instead of the loop's signalfd.
        try EventLoop.blockSignals([SIGTERM, SIGINT])
        let cdrPath = CallRecordStore.defaultPath(stateDirectory: configuration.node.stateDirectory)
        callRecords = try CallRecordStore(path: cdrPath, logger: logger)
        logger.notice("CDR store open", metadata: ["path": "\(cdrPath)"])
        loop = try EventLoop()
        transport = SIPTransportLayer(loop: loop, maxMessageBytes: configuration.sip.maxMessageBytes,
                                      tcpIdleTimeout: configuration.sip.tcpIdleTimeout, logger: logger)
        b2bua = B2BUA(settings: B2BUASettings(configuration: configuration, productName: Self.product),
                      routing: RoutingTable(configuration: configuration), logger: logger)
        for zone in configuration.zones {
            try transport.addZone(name: zone.name, bind: zone.bind, udpPort: zone.udpPort, tcpPort: zone.tcpPort)
            logger.notice("zone listening", metadata: [
                "zone": "\(zone.name)", "bind": "\(zone.bind)",
                "udp": "\(zone.udpPort.map(String.init) ?? "-")", "tcp": "\(zone.tcpPort.map(String.init) ?? "-")",
            ])
        }
        transport.onMessage = { [unowned self] message in self.receive(message) }
        transport.onTransportError = { [unowned self] failure in self.transportFailed(failure) }
        try loop.onSignals([SIGTERM, SIGINT]) { [unowned self] signal in self.beginShutdown(signal: signal) }
    }

    /// Runs until shutdown completes.
    public func run() throws(SystemError) {
        logger.notice("SBC started", metadata: ["node": "\(configuration.node.name)", "version": "\(Self.product)"])
        try loop.run()
        transport.close()
        loop.close()
        recordFinishedCalls()
        callRecords.close()
        if failoverLatency.count > 0 {
            logger.notice("failover latency", metadata: [
                "failovers": "\(failoverLatency.count)", "latency": "\(failoverLatency.summary)",
            ])
        }
        logger.notice("SBC stopped")
    }

    private var now: Duration { .nanoseconds(Int64(clamping: loop.now.nanoseconds)) }

    private func receive(_ message: InboundMessage) {
        let source = SIPEndpoint(host: message.source.host, port: message.source.port,
                                 transport: TransportKind(rawValue: message.transport.rawValue) ?? .udp,
                                 zone: message.zone)
        let failoversBefore = b2bua.failovers
        emit(b2bua.receive(message.bytes, from: source, now: now))
        if b2bua.failovers != failoversBefore { failoverLatency.record(loop.now - message.receivedAt) }
    }

    private func transportFailed(_ failure: TransportFailure) {
        logger.warning("transport error", metadata: ["failure": "\(failure)"])
        let destination = SIPEndpoint(host: failure.destination.host, port: failure.destination.port,
                                      transport: TransportKind(rawValue: failure.transport.rawValue) ?? .udp,
                                      zone: failure.zone)
        emit(b2bua.transportFailed(to: destination, now: now))
    }

    private func emit(_ outbound: [SIPOutbound]) {
        for item in outbound {
            let destination = item.destination
            guard let address = try? SocketAddress(host: destination.host, port: destination.port) else {
                logger.error("unusable destination", metadata: ["destination": "\(destination)"])
                continue
            }
            let protocolKind = TransportProtocol(rawValue: destination.transport.rawValue) ?? .udp
            transport.send(item.message.serialized(), to: address, transport: protocolKind, zone: destination.zone)
        }
        recordFinishedCalls()
        rearm()
    }

    private func recordFinishedCalls() {
        let finished = b2bua.takeFinishedCalls()
        guard !finished.isEmpty else { return }
        let mapping = CallRecordMapping(monotonicNow: now)
        for summary in finished { callRecords.record(mapping.record(summary)) }
    }

    /// Keeps exactly one loop timer at the B2BUA's earliest deadline.
    private func rearm() {
        if let deadline = stopDeadline, b2bua.activeCalls == 0 {
            // Calls are gone: give in-flight transactions a moment to absorb retransmissions.
            let lastCall = min(deadline, loop.now + Self.exitGrace)
            stopDeadline = lastCall
            if b2bua.activeTransactions == 0 || loop.now >= lastCall {
                loop.stop()
                return
            }
        }
        var wanted = b2bua.nextDeadline.map { MonotonicInstant(nanoseconds: UInt64(max(0, $0.nanosecondsValue))) }
        if let stopDeadline { wanted = min(wanted ?? stopDeadline, stopDeadline) }
        guard wanted != timerDeadline else { return }
        if let timer { _ = loop.cancel(timer) }
        timer = nil
        timerDeadline = wanted
        guard let wanted else { return }
        timer = loop.schedule(at: wanted) { [unowned self] in
            self.timer = nil
            self.timerDeadline = nil
            self.emit(self.b2bua.advance(to: self.now))
        }
    }

    private func beginShutdown(signal: Int32) {
        guard stopDeadline == nil else {
            logger.warning("second signal, stopping now", metadata: ["signal": "\(signal)"])
            loop.stop()
            return
        }
        logger.notice("shutdown requested", metadata: ["signal": "\(signal)", "calls": "\(b2bua.activeCalls)"])
        // After the drain deadline the B2BUA sends BYEs; allow their transactions a few seconds.
        stopDeadline = loop.now + configuration.shutdown.drain + .seconds(5)
        emit(b2bua.beginDrain(now: now))
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (deadlines are never anywhere near the limits).
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue + attoseconds / 1_000_000_000
    }
}
