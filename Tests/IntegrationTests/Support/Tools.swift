// Locating the binary under test, SIPp and the scenario files.
import Foundation

/// Where things are. Every lookup either returns a usable path or throws a `HarnessError` whose
/// message says what is missing and how to provide it: the integration tests never skip silently.
enum Tools {
    /// The repository root, derived from this file's path: <repo>/Tests/IntegrationTests/Support/Tools.swift.
    static let repoRoot: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent() // Support
            .deletingLastPathComponent() // IntegrationTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent() // repo
    }()

    /// `SBC_BINARY` if set, else `<repo>/.build/debug/sbc`.
    static func sbcBinary() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let path = env["SBC_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw HarnessError("SBC_BINARY=\(path) is not an executable file")
            }
            return URL(fileURLWithPath: path)
        }
        let candidate = repoRoot.appendingPathComponent(".build/debug/sbc")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw HarnessError("""
                the sbc binary was not found at \(candidate.path): build it first \
                (`swift build --product sbc`) or point SBC_BINARY at it
                """)
        }
        return candidate
    }

    /// `SIPP_BINARY` if set, else `sipp` on PATH.
    static func sipp() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let path = env["SIPP_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw HarnessError("SIPP_BINARY=\(path) is not an executable file")
            }
            return URL(fileURLWithPath: path)
        }
        if let found = which("sipp") { return found }
        throw HarnessError("sipp was not found on PATH (Debian package `sip-tester`); install it or set SIPP_BINARY")
    }

    static func which(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The SIPp scenario folder: the copy in the test bundle, else the source folder.
    static func scenariosDirectory() throws -> URL {
        if let url = Bundle.module.url(forResource: "Scenarios", withExtension: nil),
           FileManager.default.fileExists(atPath: url.appendingPathComponent("uac_basic.xml").path) {
            return url
        }
        let source = repoRoot.appendingPathComponent("Tests/IntegrationTests/Scenarios")
        guard FileManager.default.fileExists(atPath: source.appendingPathComponent("uac_basic.xml").path) else {
            throw HarnessError("SIPp scenarios not found in the test bundle nor in \(source.path)")
        }
        return source
    }

    static func scenario(_ name: String) throws -> URL {
        let url = try scenariosDirectory().appendingPathComponent(name.hasSuffix(".xml") ? name : name + ".xml")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw HarnessError("SIPp scenario \(url.path) does not exist")
        }
        return url
    }
}

/// A harness failure with a message meant for the test log.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads the last `maxBytes` of a text file (for failure messages).
func fileTail(_ url: URL, maxBytes: Int = 4000) -> String {
    guard let data = FileManager.default.contents(atPath: url.path) else { return "(no \(url.lastPathComponent))" }
    let slice = data.count > maxBytes ? data.suffix(maxBytes) : data
    let text = String(decoding: slice, as: UTF8.self)
    return data.count > maxBytes ? "...\n" + text : text
}

func fileHead(_ url: URL, maxBytes: Int = 4000) -> String {
    guard let data = FileManager.default.contents(atPath: url.path) else { return "(no \(url.lastPathComponent))" }
    let text = String(decoding: data.prefix(maxBytes), as: UTF8.self)
    return data.count > maxBytes ? text + "\n..." : text
}
