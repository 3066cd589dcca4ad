// The benchmarks' QUICK modes run as tests, so that a bench broken by a change (a scenario SIPp
// refuses, a config key renamed, a figure no longer printed) fails ./scripts/test rather than the
// next person who needs the numbers. They run the binary under test (Tools.sbcBinary), not a
// release build, so only the mechanics and the figures' presence are asserted, not their values.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("bench QUICK modes (bench/*.sh against the sbc under test)", .timeLimit(.minutes(4)))
struct BenchQuickModeTests {
    /// Runs `bench/<script>` with `environment` (plus SBC_BINARY) to completion, bounded by `timeout`.
    static func runBench(_ script: String, environment: [String: String],
                         timeout: Duration) async throws -> (exit: ProcessExit?, output: String) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftsbc-bench-\(script)-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer {
            if ProcessInfo.processInfo.environment["SBC_KEEP_TEST_DIRS"] == nil {
                try? FileManager.default.removeItem(at: directory)
            }
        }
        let output = directory.appendingPathComponent("output.log")
        var variables = environment
        variables["SBC_BINARY"] = try Tools.sbcBinary().path
        variables["TMPDIR"] = directory.path
        // env(1) sets the variables and execs bash: the PID stopped on a timeout is the script's,
        // whose EXIT trap stops what it started.
        let process = try ManagedProcess(
            name: script, executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                + ["/bin/bash", Tools.repoRoot.appendingPathComponent("bench/\(script)").path],
            workingDirectory: directory, stdout: output, stderr: output)
        var exit = await process.waitForExit(timeout: timeout)
        if exit == nil { exit = await process.stop(signal: SIGTERM, grace: .seconds(20)) }
        return (exit, String(decoding: FileManager.default.contents(atPath: output.path) ?? Data(), as: UTF8.self))
    }

    /// Runs `bench/<script>` with QUICK=1 on loopback block `block` (plus `environment`), expects it to
    /// exit 0, and returns its output and, for failure messages, the output's tail.
    static func runQuick(_ script: String, block: Int, benchTimeout: Int, environment: [String: String] = [:],
                         timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> (output: String, context: String) {
        let (exit, output) = try await runBench(
            script, environment: environment.merging(
                ["QUICK": "1", "BENCH_BLOCK": "\(block)", "BENCH_TIMEOUT": "\(benchTimeout)"]) { $1 },
            timeout: timeout)
        let context = "--- bench/\(script) output:\n\(output.suffix(6000))"
        #expect(exit?.exited == true && exit?.status == 0, "exit: \(exit.map(\.description) ?? "still running")\n\(context)",
                sourceLocation: sourceLocation)
        return (output, context)
    }

    /// `key=value` fields of a line.
    static func fields(_ line: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for part in line.split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    @Test("bench/midcall.sh QUICK=1: both runs complete and print survival, audio gap, reaction and pacing figures")
    func midcallQuickMode() async throws {
        // Block 71: a developer's own bench/midcall.sh run (block 70) does not collide with the suite.
        let (output, context) = try await Self.runQuick("midcall.sh", block: 71, benchTimeout: 150, timeout: .seconds(180))

        let runs = Self.results(output, "midcall: run=")
        #expect(runs.map { $0["run"] ?? "" } == ["unpaced", "paced-10"], "one result line per run\n\(context)")
        for run in runs {
            let calls = try #require(run["calls"].flatMap { Int($0) }, "\(run)")
            #expect(calls >= 1 && run["survived"] == String(calls), "every call survives: \(run)\n\(context)")
            #expect(run["b_audio"] == String(calls) && run["same_port"] == String(calls), "\(run)")
            for figure in ["gap_p50_ms", "gap_p99_ms", "gap_max_ms", "reaction_p99_ms", "called_spread_ms"] {
                #expect(run[figure].flatMap { Double($0) } != nil, "\(figure) is a number: \(run)\n\(context)")
            }
        }
        for heading in ["survived        :", "audio gap       : p50", "SBC reaction    : p99", "pacing effect (max_rate"] {
            #expect(output.contains(heading), "the report prints '\(heading)'\n\(context)")
        }
    }

    /// The `prefix` lines of `output` (e.g. "cps: server="), as key=value fields.
    static func results(_ output: String, _ prefix: String) -> [[String: String]] {
        output.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map(fields)
    }

    @Test("bench/cps.sh QUICK=1: the SBC and Kamailio (tlsf) each complete a UDP and a TLS step, with rate, CPU per call and the SBC/Kamailio ratios")
    func cpsQuickMode() async throws {
        // Block 79: a developer's own bench/cps.sh run (block 77) does not collide with the suite.
        let (output, context) = try await Self.runQuick("cps.sh", block: 79, benchTimeout: 100, timeout: .seconds(120))

        let results = Self.results(output, "cps: server=")
        #expect(results.map { "\($0["server"] ?? "")/\($0["transport"] ?? "")" }
                    == ["sbc/udp", "kamailio-tlsf/udp", "sbc/tls", "kamailio-tlsf/tls"],
                "one result line per server and transport\n\(context)")
        for result in results {
            #expect(result["best_rate"] == "100", "the quick step is healthy: \(result)\n\(context)")
            #expect((result["us_per_call"].flatMap { Int($0) } ?? 0) > 0, "CPU per call measured: \(result)")
        }
        let ratios = Self.results(output, "cps-ratio: ")
        #expect(ratios.map { "\($0["peer"] ?? "")/\($0["transport"] ?? "")" } == ["kamailio-tlsf/udp", "kamailio-tlsf/tls"],
                "one SBC/Kamailio ratio line per transport\n\(context)")
        for ratio in ratios {
            #expect(ratio["common_rate"] == "100" && ratio["cpu_ratio"].flatMap { Double($0) } != nil
                        && ratio["rate_ratio"].flatMap { Double($0) } != nil, "\(ratio)\n\(context)")
        }
        #expect(Self.results(output, "cps-step: ").count == 4, "one cps-step line per step\n\(context)")
        #expect(output.contains("sbc over TLS (one reused connection)"), "the TLS/UDP ratio is printed\n\(context)")
    }

    @Test("bench/failover.sh QUICK=1: plain and failover runs of the SBC and Kamailio, the cost ratio and the SBC's failover latency")
    func failoverQuickMode() async throws {
        // Block 80: beside cps.sh's (79); bench/failover.sh runs cps.sh twice on it, one after the other.
        let (output, context) = try await Self.runQuick("failover.sh", block: 80, benchTimeout: 100, timeout: .seconds(150))

        let servers = Self.results(output, "failover: server=")
        #expect(servers.map { $0["server"] ?? "" } == ["sbc", "kamailio-tlsf"], "one line per server\n\(context)")
        for server in servers {
            #expect(server["plain_rate"] == "100" && server["failover_rate"] == "100", "both quick steps healthy: \(server)\n\(context)")
            for figure in ["plain_us", "failover_us", "cost_ratio"] {
                #expect((server[figure].flatMap { Double($0) } ?? 0) > 0, "\(figure) measured: \(server)\n\(context)")
            }
        }
        let latency = Self.results(output, "cps-failover: server=sbc")
        #expect(latency.count == 1, "the SBC's failover latency of the one failover step\n\(context)")
        for step in latency {
            #expect((step["failovers"].flatMap { Int($0) } ?? 0) > 0, "every call failed over: \(step)\n\(context)")
            #expect(step["p50_us"].flatMap { Int($0) } != nil && step["p99_us"].flatMap { Int($0) } != nil, "\(step)\n\(context)")
        }
    }

    @Test("bench/media.sh QUICK=1: the SBC, rtpengine and the C relays each relay a step, with CPU per packet")
    func mediaQuickMode() async throws {
        // Block 53 (and 54 for the peers): a developer's own bench/media.sh run (51/52) does not collide.
        let (output, context) = try await Self.runQuick(
            "media.sh", block: 53, benchTimeout: 100, environment: ["SBC_MEDIA": "1"], timeout: .seconds(150))

        let steps = Self.results(output, "media-step: ")
        // The layout prototypes (bench/README.md "Media socket layouts") run where the kernel lets
        // them, and say so where it does not.
        let systems = steps.map { $0["system"] ?? "" }
        #expect(Array(systems.prefix(4)) == ["sbc", "rtpengine", "udprelay", "portrelay"], "one step per system\n\(context)")
        for layout in ["uringrelay", "lookuprelay-uring"] {
            #expect(systems.contains(layout) || output.contains("== \(layout) skipped:"), "\(layout) ran or was skipped\n\(context)")
        }
        for step in steps {
            #expect(step["up"] == step["calls"], "every call set up: \(step)\n\(context)")
            #expect((step["us_per_pkt"].flatMap { Double($0) } ?? 0) > 0, "CPU per packet measured: \(step)\n\(context)")
            // GEN-LIMIT: the generator could not keep its rate on a busy host (the suite's other
            // benches); the relay still relayed what it got, and its CPU per packet was measured.
            #expect(["ok", "LOSS", "LATENCY", "GEN-LIMIT"].contains(step["verdict"] ?? ""), "the relay relayed: \(step)\n\(context)")
        }
        #expect(output.contains("SBC / rtpengine CPU per packet:") || output.contains("no N at which every system was healthy")
                    || output.contains("sbc             : no healthy step"),
                "the summary is printed\n\(context)")
    }

    @Test("bench/overload.sh QUICK=1: four steps with goodput and 503s, the excess refused, no carrier down, RSS figures")
    func overloadQuickMode() async throws {
        // Block 84: a developer's own bench/overload.sh run (block 83) does not collide with the suite.
        let (output, context) = try await Self.runQuick("overload.sh", block: 84, benchTimeout: 100, timeout: .seconds(130))

        let steps = Self.results(output, "overload: step=")
        #expect(steps.map { $0["step"] ?? "" } == ["1.0x", "1.5x", "3.0x", "after"], "one line per step\n\(context)")
        for step in steps {
            #expect(step["carriers_down"] == "0", "no carrier down: \(step)\n\(context)")
            #expect(step["goodput"].flatMap { Int($0) } != nil && step["rss_mb"].flatMap { Int($0) } != nil, "\(step)")
        }
        if let storm = steps.first(where: { $0["step"] == "3.0x" }) {
            #expect((storm["rejected_503"].flatMap { Int($0) } ?? 0) > 0, "the excess got 503: \(storm)\n\(context)")
        }
        let summary = Self.results(output, "overload-summary: ")
        #expect(summary.first?["sbc_alive"] == "1" && summary.first?["carriers_down"] == "0", "\(summary)\n\(context)")
        #expect(Self.results(output, "overload-memory: ").first?["rss_after_trim_mb"] != nil, "RSS figures\n\(context)")
    }

    @Test("bench/soak.sh QUICK=1: churn, RTP and failovers for 20 s, RSS and descriptors sampled, growth and idle figures")
    func soakQuickMode() async throws {
        // Block 87: a developer's own bench/soak.sh run (block 86) does not collide with the suite.
        let (output, context) = try await Self.runQuick("soak.sh", block: 87, benchTimeout: 100, timeout: .seconds(130))

        let samples = Self.results(output, "soak: t=")
        #expect(samples.count >= 8, "a sample every 2 s for 20 s\n\(context)")
        for sample in samples {
            for figure in ["rss_mb", "fds", "calls", "answered", "failed", "relayed_pkts"] {
                #expect(sample[figure].flatMap { Double($0) } != nil, "\(figure) is a number: \(sample)\n\(context)")
            }
        }
        #expect(samples.contains { $0["d_rss_mb"] != nil && $0["d_fds"] != nil }, "growth after the warm-up\n\(context)")
        let events = Self.results(output, "soak-event: ")
        #expect(Set(events.compactMap { $0["action"] }).isSuperset(of: ["lock", "unlock", "failover", "failback"]),
                "locks and group failovers through the admin API\n\(context)")
        #expect(events.allSatisfy { $0["status"] == "200" }, "\(events)\n\(context)")
        let summary = try #require(Self.results(output, "soak-summary: ").first, "a summary line\n\(context)")
        #expect(summary["sbc_alive"] == "1" && summary["fd_leak"] == "0", "\(summary)\n\(context)")
        #expect((summary["calls_ok"].flatMap { Int($0) } ?? 0) > 100, "calls completed: \(summary)\n\(context)")
        #expect((summary["failovers"].flatMap { Int($0) } ?? 0) > 0, "503s failed over to carrier B: \(summary)\n\(context)")
        for figure in ["rss_start_mb", "rss_end_mb", "rss_slope_mb_per_h", "fds_idle_before", "fds_idle_after", "media_timeouts"] {
            #expect(summary[figure].flatMap { Double($0) } != nil, "\(figure) is a number: \(summary)\n\(context)")
        }
    }

    @Test("bench/concurrent.sh QUICK=1: 100 calls held with media, 5 with RTP: RSS per call, setup rate, relay CPU, descriptors")
    func concurrentQuickMode() async throws {
        // Block 89: a developer's own bench/concurrent.sh run (block 88) does not collide with the suite.
        let (output, context) = try await Self.runQuick("concurrent.sh", block: 89, benchTimeout: 100, timeout: .seconds(130))

        let setup = try #require(Self.results(output, "concurrent-setup: ").first, "a setup line\n\(context)")
        #expect(setup["established"] == "100" && setup["failed"] == "0", "every call set up: \(setup)\n\(context)")
        #expect((setup["setup_rate"].flatMap { Int($0) } ?? 0) > 0, "setup rate measured: \(setup)\n\(context)")
        let hold = try #require(Self.results(output, "concurrent-hold: ").first, "a hold line\n\(context)")
        #expect(hold["calls"] == "100" && hold["calls_end"] == "100", "the calls stay up through the hold: \(hold)\n\(context)")
        #expect((hold["relayed_pps"].flatMap { Int($0) } ?? 0) > 0, "the RTP calls' packets cross the relay: \(hold)\n\(context)")
        for figure in ["relay_cpu_pct", "signalling_cpu_pct", "sbc_cpu_pct"] {
            #expect(hold[figure].flatMap { Double($0) } != nil, "\(figure) is a number: \(hold)\n\(context)")
        }
        let memory = try #require(Self.results(output, "concurrent-memory: ").first, "a memory line\n\(context)")
        #expect((memory["rss_per_call_kib"].flatMap { Double($0) } ?? 0) > 0, "RSS per call measured: \(memory)\n\(context)")
        #expect(memory["fds_per_call"] == "4.0", "four relay sockets a call: \(memory)\n\(context)")
        let summary = try #require(Self.results(output, "concurrent-summary: ").first, "a summary line\n\(context)")
        #expect(summary["sbc_alive"] == "1" && summary["ended"] == "100" && summary["calls_after"] == "0",
                "every call ended and none is left in the SBC: \(summary)\n\(context)")
    }

    @Test("bench/cluster.sh QUICK=1: one and two SBC nodes behind Kamailio with PostgreSQL, a step each, CPU per call per node, Kamailio and PostgreSQL, the two/one ratio",
          .enabled(if: PostgresInstance.isInstalled, Comment(rawValue: PostgresInstance.notInstalled)))
    func clusterQuickMode() async throws {
        // Block 81 (PostgreSQL on 127.0.0.1:5621): a developer's own bench/cluster.sh run (block 78) does not collide.
        let (output, context) = try await Self.runQuick("cluster.sh", block: 81, benchTimeout: 100, timeout: .seconds(150))
        #expect(!output.contains("cluster-skipped:"), "PostgreSQL is installed, so the bench runs\n\(context)")

        let configs = Self.results(output, "cluster: config=")
        #expect(configs.map { "\($0["config"] ?? "")/\($0["nodes"] ?? "")" } == ["one/1", "two/2"],
                "one result line per configuration\n\(context)")
        for config in configs {
            #expect((config["completed"].flatMap { Int($0) } ?? 0) > 0, "calls completed: \(config)\n\(context)")
            #expect((config["cdrs"].flatMap { Int($0) } ?? 0) > 0, "their CDRs are in PostgreSQL: \(config)\n\(context)")
            #expect(config["best_rate"].flatMap { Int($0) } != nil, "\(config)\n\(context)")
        }
        let steps = Self.results(output, "cluster-step: ")
        #expect(steps.map { $0["config"] ?? "" } == ["one", "two"], "one quick step per configuration\n\(context)")
        for step in steps {
            var figures = ["achieved", "fail_pct", "node1_us", "kamailio_us", "postgres_us", "total_us", "sipp_us", "all_us", "host_busy_pct"]
            if step["config"] == "two" { figures.append("node2_us") }
            for figure in figures {
                #expect(step[figure].flatMap { Double($0) } != nil, "\(figure) is a number: \(step)\n\(context)")
            }
        }
        let ratio = try #require(Self.results(output, "cluster-ratio: ").first, "a ratio line\n\(context)")
        #expect(ratio["rate_ratio"] != nil && ratio["target"] == "1.7", "\(ratio)\n\(context)")
        #expect((ratio["cores"].flatMap { Int($0) } ?? 0) > 0, "the core count is printed: \(ratio)\n\(context)")
    }
}
