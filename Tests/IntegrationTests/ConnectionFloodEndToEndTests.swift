// Issue 14, "20,000 idle TCP connections from a stranger do not stop UDP calls from the
// platform": the built sbc, with media anchored (so every call binds relay ports), under the
// file-descriptor limit it inherits from the test process (the lab's 20,000), takes 20,000 TCP
// connections from ten stranger addresses of its block while SIPp places UDP calls with RTP.
// Connections past `sip.max_connections_per_source` and past the total limit (the configured one
// or, lower, the share of descriptors the SBC leaves to TCP) are closed at accept; the ones it
// keeps stay open and idle; calls keep completing with media; descriptors stay for relay ports.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Connection flood end to end (sbc binary + 20,000 raw TCP connections + SIPp calls with RTP)",
       .serialized, .timeLimit(.minutes(5)))
struct ConnectionFloodEndToEndTests {
    static let sources = 10
    static let perSource = 2000
    static let perSourceLimit = 1500
    /// Configured `sip.max_connections`: below `sources x perSourceLimit`, so the total limit
    /// always bites; the SBC lowers it further when its descriptor budget is smaller.
    static let configuredMax = 12_000

    /// The SBC's `descriptor budget` start-up line: its open-file limit and the connection limit in force.
    static func descriptorBudget(_ lab: Lab) -> (openFiles: Int, maxConnections: Int, mediaPorts: Int)? {
        let log = String(decoding: FileManager.default.contents(atPath: lab.sbc?.stderrURL.path ?? "") ?? Data(), as: UTF8.self)
        for line in log.split(separator: "\n") where line.contains("\"descriptor budget\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let files = (object["open_files"] as? String).flatMap(Int.init),
                  let max = (object["max_connections"] as? String).flatMap(Int.init),
                  let media = (object["media_ports"] as? String).flatMap(Int.init) else { continue }
            return (files, max, media)
        }
        return nil
    }

    /// Descriptors a process has open, from /proc.
    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    @Test("20,000 idle TCP connections from strangers: the excess is closed at accept, UDP calls with RTP keep completing, relay ports keep their descriptors")
    func idleConnectionFloodLeavesCallsAlone() async throws {
        var options = LabOptions()
        options.admin = true
        options.sipExtra = ["max_connections: \(Self.configuredMax)", "max_connections_per_source: \(Self.perSourceLimit)"]
        try await withLab("connection-flood", options: options) { lab in
            let b = lab.block
            try lab.installSamplePcap()
            // Carrier A echoes the platform's RTP, so media crosses the relay both ways.
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA", extraArguments: ["-rtp_echo"])
            let sbc = try await lab.startSBC()
            let budget = try #require(Self.descriptorBudget(lab), "no descriptor budget line\n\(lab.sbcLog)")
            #expect(budget.mediaPorts == LabOptions.mediaPorts.count)
            let expectedHeld = min(budget.maxConnections, Self.sources * Self.perSourceLimit)
            #expect(expectedHeld <= Self.configuredMax)
            let (limit, testFiles) = try OpenFileLimit.raise()
            defer { limit.restore() }
            try #require(testFiles >= expectedHeld + 1000,
                         "the test process may open \(testFiles) files; holding \(expectedHeld) connections needs more")
            let idleFiles = Self.openDescriptors(sbc.pid)
            let admin = AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)

            // Calls with RTP from the platform throughout: before, during and after the flood.
            let caller = try lab.startCaller("uac_media", from: b.platform, to: b.sbcPlatform, calls: 200, pauseMs: 1000)
            try await Task.sleep(for: .seconds(2))

            let flood = ConnectionFlood(target: b.sbcPlatform)
            defer { flood.closeAll() }
            let strangers = (0..<Self.sources).map { "127.0.\(b.n).\(99 - $0)" }
            try flood.open(from: strangers, perSource: Self.perSource)
            let settled = flood.reap(until: { $0.held <= expectedHeld }, timeout: .seconds(20))
            let peakFiles = Self.openDescriptors(sbc.pid)
            #expect(settled && flood.held == expectedHeld,
                    "the SBC keeps \(flood.held) connections, expected \(expectedHeld) (\(budget)); \(flood.tally)\n\(lab.sbcLog)")
            #expect(flood.tally.attempted == Self.sources * Self.perSource && flood.tally.connectFailed == 0, "\(flood.tally)")
            let held = flood.heldBySource
            #expect(held.values.allSatisfy { $0 <= Self.perSourceLimit }, "per-source limit: \(held)")
            #expect(strangers.contains { held[$0] == Self.perSourceLimit && flood.tally.closedBySource[$0, default: 0] > 0 },
                    "a source was cut at max_connections_per_source: \(held) \(flood.tally)")
            #expect(strangers.contains { held[$0, default: 0] < Self.perSourceLimit && flood.tally.closedBySource[$0, default: 0] > 0 },
                    "a source was cut by the total limit below its own: \(held) \(flood.tally)")
            // What TCP holds leaves every relay port its descriptor, with the SBC's reserve to spare.
            #expect(peakFiles > expectedHeld && budget.openFiles - peakFiles >= budget.mediaPorts,
                    "the SBC has \(peakFiles) files open of \(budget.openFiles) with \(budget.mediaPorts) relay ports")

            // Idle, the kept connections stay open (tcp_idle_timeout_s is 300 s) while the calls go on.
            try await Task.sleep(for: .seconds(4))
            flood.reap()
            #expect(flood.held == expectedHeld, "idle connections dropped early: \(flood.held) of \(expectedHeld)")
            let metrics = try await admin.text("metrics").body
            #expect(prometheusValue(metrics, "sbc_sip_connections_closed_total", labels: ["reason": "limit"])
                        == Double(flood.tally.closedByServer), "the SBC counted its refusals\n\(flood.tally)")

            // Every connection goes at once; the calls carry on.
            flood.closeAll()
            let during = await caller.waitForCompletion(timeout: .seconds(60))
            #expect(during.allCallsSucceeded, "\(during.diagnostics)\n\(lab.sbcLog)")
            let after = try await lab.runCaller("uac_media", from: b.platform, to: b.sbcPlatform, calls: 20, rate: 10,
                                                pauseMs: 500, name: "caller-after")
            #expect(after.allCallsSucceeded, "\(after.diagnostics)\n\(lab.sbcLog)")
            _ = await lab.finish(carrierA)

            // Nothing leaked: the SBC is back to its idle descriptor count.
            let deadline = ContinuousClock.now + .seconds(10)
            var files = Self.openDescriptors(sbc.pid)
            while files > idleFiles + 4 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                files = Self.openDescriptors(sbc.pid)
            }
            #expect(files <= idleFiles + 4, "the SBC holds \(files) descriptors, \(idleFiles) before the flood")
            let log = String(decoding: FileManager.default.contents(atPath: sbc.stderrURL.path) ?? Data(), as: UTF8.self)
            #expect(!log.contains("Too many open files"), "descriptors ran out\n\(lab.sbcLog)")

            // Every call relayed RTP both ways: the platform's to the carrier and its echo back.
            let records = try await lab.callDetailRecords()
            #expect(records.count == 220, "\(records.count) CDRs")
            for record in records {
                let legs = record["media"] as? [[String: Any]] ?? []
                let received = legs.map { ($0["side"] as? String ?? "?", $0["packets_received"] as? Int ?? 0) }
                #expect(received.count == 2 && received.allSatisfy { $0.1 > 0 },
                        "call \(record["call_id"] ?? "?"): packets received per side \(received)")
            }
        }
    }
}
