import Foundation
import Testing
@testable import SBCConfig

/// Shared helpers for the SBCConfig tests.
///
/// Why `#filePath`: the tests load the real files in `conf/` (the contract every other target and
/// the lab depend on), and the test bundle has no resource copy of them. The repository root is
/// found by going up from this file, `Tests/SBCConfigTests/TestSupport.swift`, until a directory
/// with `conf/lab.yaml`; if the path the compiler recorded goes through a symlink (a private
/// package whose test directory links into the project), the symlink-resolved path is tried too.
enum TestSupport {
    /// The repository root; a test that needs it fails with a clear message if it is not found.
    static let repositoryRoot: String = {
        let recorded = String(#filePath)
        let resolved = URL(fileURLWithPath: recorded).resolvingSymlinksInPath().path
        for start in [recorded, resolved] {
            var directory = URL(fileURLWithPath: start).deletingLastPathComponent()
            for _ in 0..<4 {
                directory = directory.deletingLastPathComponent()
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("conf/lab.yaml").path) {
                    return directory.path
                }
            }
        }
        return "(repository root not found above \(recorded))"
    }()

    /// Absolute path of a file under the repository root.
    static func path(_ relative: String) -> String {
        repositoryRoot + "/" + relative
    }

    /// A minimal valid configuration, for tests that change one thing and expect one problem.
    /// Line numbers matter to the tests: zones start at line 1, trunks at 5, routes at 9.
    static let minimal = """
        zones:
          - name: core
            bind: 127.0.0.1
            udp_port: 5060
        trunks:
          - name: peer
            zone: core
            address: 127.0.0.10
        routes:
          - name: all
            trunk: peer
        """

    /// The problems `parse` reports for `yaml`, or an empty list if it loads.
    static func problems(_ yaml: String, source: String = "test.yaml") -> [ConfigProblem] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, source: source)
            return []
        } catch {
            return error.problems
        }
    }

    /// Parses YAML expected to be valid; records an issue with every problem otherwise.
    static func load(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> SBCConfiguration? {
        do {
            return try ConfigLoader.parse(yaml: yaml, source: "test.yaml")
        } catch {
            Issue.record("unexpected problems:\n\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Expects exactly one problem, at `keyPath` and `line` (and `column` when given), whose
    /// message contains `containing`.
    static func expectSingleProblem(_ yaml: String, keyPath: String, line: Int?, column: Int? = nil,
                                    containing: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        let found = problems(yaml)
        #expect(found.count == 1, "expected one problem, got:\n\(found.map(\.description).joined(separator: "\n"))",
                sourceLocation: sourceLocation)
        guard let problem = found.first else { return }
        #expect(problem.keyPath == keyPath, sourceLocation: sourceLocation)
        #expect(problem.line == line, "\(problem)", sourceLocation: sourceLocation)
        if let column {
            #expect(problem.column == column, "\(problem)", sourceLocation: sourceLocation)
        }
        #expect(problem.message.contains(containing), "\(problem.message)", sourceLocation: sourceLocation)
    }
}
