// docs/openapi.yaml against the live admin API: schemathesis (PyPI, via scripts/schemathesis)
// generates requests from the document the SBC serves and checks every answer against it: no
// 5xx, statuses, content types, headers and bodies as documented, authentication enforced,
// invalid input refused. Bounded: 20 examples per operation and a hard time limit.
// SBC_SCHEMATHESIS_SEED=<n> replays a run; SBC_SCHEMATHESIS_EXAMPLES=<n> digs deeper.
import Foundation
import Testing

@Suite("OpenAPI document end to end (sbc binary + schemathesis)", .serialized, .timeLimit(.minutes(5)))
struct OpenAPIEndToEndTests {
    @Test("schemathesis finds no server error and no answer that contradicts docs/openapi.yaml")
    func liveAPIConformsToTheDocument() async throws {
        var options = LabOptions()
        options.admin = true
        try await withLab("openapi", options: options) { lab in
            try await lab.startSBC()
            let served = try await AdminClient(base: URL(string: lab.adminURL + "/")!, token: nil).get("api/v1/openapi.yaml")
            #expect(served.status == 200, "the document is public")

            // Through env(1): the hooks (Scenarios/schemathesis_hooks.py, why there) are named by
            // an environment variable, and the lab's processes inherit the test's environment.
            // The token through the document's security scheme rather than a blanket header, so
            // that schemathesis knows which header is the credential when it leaves it out.
            let configuration = lab.directory.appendingPathComponent("schemathesis.toml")
            try "[auth.openapi.bearer]\nbearer = \"\(LabConfig.adminToken)\"\n".write(to: configuration, atomically: true,
                                                                                       encoding: .utf8)
            var arguments = [
                "SCHEMATHESIS_HOOKS=\(try Python.script("schemathesis_hooks.py").path)", try Tools.schemathesis().path,
                "--config-file", configuration.path,
                "run", "\(lab.adminURL)/api/v1/openapi.yaml", "--url", lab.adminURL,
                "--checks", "all", "--max-examples", ProcessInfo.processInfo.environment["SBC_SCHEMATHESIS_EXAMPLES"] ?? "20",
                "--phases", "examples,coverage,fuzzing",
                "--request-timeout", "5", "--workers", "1", "--no-color", "--generation-database", "none",
            ]
            if let seed = ProcessInfo.processInfo.environment["SBC_SCHEMATHESIS_SEED"], !seed.isEmpty {
                arguments += ["--seed", seed]
            }
            let result = try await lab.run("schemathesis", URL(fileURLWithPath: "/usr/bin/env"), arguments,
                                           timeout: .seconds(240))
            #expect(result.succeeded, "schemathesis found problems:\n\(result)\n\(lab.sbcLog)")
            #expect(result.stdout.contains("passed") || result.stdout.contains("Passed"), "\(result)")
        }
    }
}
