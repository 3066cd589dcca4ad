// One test's world: a loopback block, a temp dir with the config and state dir, the SBC and the
// SIPp peers. `withLab` always stops every process it started, whatever the test body did.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

final class Lab {
    let block: LabBlock
    let options: LabOptions
    let directory: URL
    let configURL: URL
    private(set) var sbc: SBCProcess?
    private var peers: [SIPpProcess] = []
    private var sockets: [UDPSocket] = []
    /// Other processes a test started (baresip, tshark), stopped first at teardown.
    private var processes: [(process: ManagedProcess, signal: Int32)] = []
    private var calleeCount = 0

    init(_ label: String, options: LabOptions = LabOptions()) throws {
        self.block = try LabBlock.allocate()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsbc-itests", isDirectory: true)
        self.directory = root.appendingPathComponent(
            "\(label)-\(block.n)-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var options = options
        if let source = options.tls?.certificates {
            // The lab's own copy of the TLS certificates: the config names it, a test may replace files.
            let copy = directory.appendingPathComponent("tls", isDirectory: true)
            try LabCertificates.copy(source, to: copy)
            options.tls?.certificates = copy
        }
        self.options = options
        let stateDir = directory.appendingPathComponent("state", isDirectory: true)
        try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: true)
        self.configURL = directory.appendingPathComponent("sbc.yaml")
        try LabConfig.yaml(block: block, options: options, stateDir: stateDir)
            .write(to: configURL, atomically: true, encoding: .utf8)
    }

    // MARK: SBC

    /// Starts the SBC and waits until it answers OPTIONS (at most 10 s).
    @discardableResult
    func startSBC() async throws -> SBCProcess {
        let sbc = try SBCProcess(binary: try Tools.sbcBinary(), configURL: configURL, directory: directory, block: block)
        self.sbc = sbc
        try await sbc.waitUntilReady(timeout: .seconds(10))
        return sbc
    }

    /// Failure-message context: the SBC's last log lines.
    var sbcLog: String { sbc?.logTail() ?? "(SBC not started)" }

    // MARK: SIPp peers

    /// Starts a SIPp callee on `endpoint` and waits until it listens. Start callees before the
    /// SBC so that any OPTIONS probe it sends at startup finds them up.
    @discardableResult
    func startCallee(_ scenario: String, at endpoint: Endpoint, name: String? = nil,
                     pauseMs: Int = 200, extraArguments: [String] = []) async throws -> SIPpProcess {
        calleeCount += 1
        let peer = try SIPpProcess(name: name ?? "callee\(calleeCount)-\(scenario)", scenario: scenario,
                                   local: endpoint, remote: nil, directory: directory, pauseMs: pauseMs,
                                   extraArguments: extraArguments)
        peers.append(peer)
        try await peer.waitUntilListening()
        return peer
    }

    /// Runs a SIPp caller to completion (bounded by `timeout`) and returns its result.
    func runCaller(_ scenario: String, from endpoint: Endpoint, to target: Endpoint, calls: Int,
                   rate: Int = 10, pauseMs: Int = 200, name: String? = nil, service: String = "+15551230000",
                   extraArguments: [String] = [], timeout: Duration = .seconds(60)) async throws -> SIPpResult {
        let peer = try SIPpProcess(name: name ?? "caller-\(scenario)", scenario: scenario, local: endpoint,
                                   remote: target, directory: directory, calls: calls, rate: rate, pauseMs: pauseMs,
                                   service: service, extraArguments: extraArguments)
        peers.append(peer)
        return await peer.waitForCompletion(timeout: timeout)
    }

    /// Starts a SIPp caller without waiting for it (the test plays a peer meanwhile); collect it
    /// with `waitForCompletion`. `service` is the Request-URI user (`+1999...` for a critical line).
    func startCaller(_ scenario: String, from endpoint: Endpoint, to target: Endpoint, calls: Int,
                     pauseMs: Int = 200, service: String = "+15551230000",
                     extraArguments: [String] = []) throws -> SIPpProcess {
        let peer = try SIPpProcess(name: "caller-\(scenario)", scenario: scenario, local: endpoint, remote: target,
                                   directory: directory, calls: calls, rate: 10, pauseMs: pauseMs, service: service,
                                   extraArguments: extraArguments)
        peers.append(peer)
        return peer
    }

    /// SIPp's G.711 A-law sample (Debian's sip-tester ships it), copied where the media
    /// scenarios' `play_pcap_audio="g711a.pcap"` finds it: SIPp's working directory.
    func installSamplePcap() throws {
        let sample = URL(fileURLWithPath: "/usr/share/sip-tester/g711a.pcap")
        guard FileManager.default.fileExists(atPath: sample.path) else {
            throw HarnessError("\(sample.path) is missing: install sip-tester (./scripts/test does)")
        }
        try FileManager.default.copyItem(at: sample, to: directory.appendingPathComponent("g711a.pcap"))
    }

    /// Lets in-flight messages land (the callee's last 200, the SBC's last ACK), then stops a callee.
    func finish(_ callee: SIPpProcess, settle: Duration = .milliseconds(300)) async -> SIPpResult {
        try? await Task.sleep(for: settle)
        return await callee.stop()
    }

    /// A raw UDP socket on one of this block's addresses, closed with the lab.
    func socket(_ ip: String, port: UInt16 = 0) throws -> UDPSocket {
        let s = try UDPSocket(bind: ip, port: port)
        sockets.append(s)
        return s
    }

    /// Stops `process` at teardown (by its PID, with `signal`, SIGKILL after a grace period)
    /// unless the test stopped it before.
    func adopt(_ process: ManagedProcess, stopSignal: Int32 = SIGTERM) {
        processes.append((process, stopSignal))
    }

    // MARK: teardown

    func shutdown() async {
        for (process, signal) in processes { await process.stop(signal: signal, grace: .seconds(3)) }
        for s in sockets { s.close() }
        for peer in peers { await peer.process.stop(signal: SIGTERM, grace: .seconds(3)) }
        if let sbc { await sbc.stop(grace: .seconds(Double(options.drainSeconds) + 5)) }
        if ProcessInfo.processInfo.environment["SBC_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }
}

/// Runs `body` with a fresh lab and always tears it down (processes stopped, temp dir removed
/// unless SBC_KEEP_TEST_DIRS is set).
func withLab<T>(_ label: String, options: LabOptions = LabOptions(),
                _ body: (Lab) async throws -> T) async throws -> T {
    let lab = try Lab(label, options: options)
    do {
        let result = try await body(lab)
        await lab.shutdown()
        return result
    } catch {
        await lab.shutdown()
        throw error
    }
}
