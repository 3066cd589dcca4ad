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
        let (exit, output) = try await Self.runBench(
            "midcall.sh", environment: ["QUICK": "1", "BENCH_BLOCK": "71", "BENCH_TIMEOUT": "150"],
            timeout: .seconds(180))
        let context = "--- bench/midcall.sh output:\n\(output.suffix(6000))"
        #expect(exit?.exited == true && exit?.status == 0, "exit: \(exit.map(\.description) ?? "still running")\n\(context)")

        let runs = output.split(separator: "\n").filter { $0.hasPrefix("midcall: run=") }.map(Self.fields)
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
}
