import Foundation
import Testing
@testable import TLS

/// The lab certificates, generated once per test process by scripts/tls-certs into a temporary
/// directory removed at exit.
enum LabCertificates {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TLSTests/LabCertificates.swift
        return url.path
    }()

    static let script = repositoryRoot + "/scripts/tls-certs"

    static let directory: String = {
        let directory = NSTemporaryDirectory() + "swiftsbc-tls-tests-\(getpid())"
        let result = run(["/bin/bash", script, directory])
        precondition(result.status == 0, "scripts/tls-certs failed: \(result.output)")
        atexit { try? FileManager.default.removeItem(atPath: LabCertificates.directory) }
        return directory
    }()

    static func path(_ file: String) -> String { directory + "/" + file }

    /// Runs a command; returns its exit status and its standard output and error, merged.
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func shell(_ command: String) -> String {
        run(["/bin/bash", "-c", command]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A server context with `name`'s certificate (`name-chain.pem` when it exists, else `name.pem`).
    static func server(
        _ name: String = "sbc", verification: TLSPeerVerification = .none, requireClientCertificate: Bool = false,
        minimumVersion: TLSProtocolVersion = .tls12, maximumVersion: TLSProtocolVersion? = nil
    ) throws -> TLSContext {
        let chain = FileManager.default.fileExists(atPath: path("\(name)-chain.pem")) ? "\(name)-chain.pem" : "\(name).pem"
        return try TLSContext(role: .server, configuration: TLSEndpointConfiguration(
            certificateChainFile: path(chain), privateKeyFile: path("\(name).key"), caBundleFile: path("ca.pem"),
            verification: verification, requirePeerCertificate: requireClientCertificate,
            minimumVersion: minimumVersion, maximumVersion: maximumVersion))
    }

    /// A client context trusting the lab CA, presenting `certificate`'s certificate if given.
    static func client(
        verification: TLSPeerVerification = .none, certificate: String? = nil,
        minimumVersion: TLSProtocolVersion = .tls12, maximumVersion: TLSProtocolVersion? = nil
    ) throws -> TLSContext {
        try TLSContext(role: .client, configuration: TLSEndpointConfiguration(
            certificateChainFile: certificate.map { path("\($0).pem") }, privateKeyFile: certificate.map { path("\($0).key") },
            caBundleFile: path("ca.pem"), verification: verification,
            minimumVersion: minimumVersion, maximumVersion: maximumVersion))
    }
}
