import ArgumentParser
import Foundation
import Logging
import SBCConfig
import SBCServer

/// `sbc`: run the SBC, lint a configuration, show versions.
@main
struct SBCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbc",
        abstract: "SwiftSBC: a B2BUA session border controller for contact-center carrier failover.",
        version: "\(SignallingServer.product) (\(NativeLibraries.summary))",
        subcommands: [Run.self, CheckConfig.self, CDRCommand.self, CtlCommand.self]
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the SBC in the foreground until SIGTERM/SIGINT.")

    @Option(name: .long, help: "Path of the YAML configuration.")
    var config: String

    func run() throws {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigLoader.loadReporting(path: config)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let settings = loaded.configuration
        LogSetup.bootstrap(settings.logging)
        let logger = Logger(label: "sbc")
        // The same warnings `sbc check-config` prints (docs/CONFIG.md, "Checking a file"): the
        // SBC runs with them, but an operator reading the start-up log should see them.
        for warning in loaded.warnings {
            logger.warning("configuration warning", metadata: [
                "file": "\(config)", "line": "\(warning.line.map(String.init) ?? "-")", "key": "\(warning.keyPath)",
                "warning": "\(warning.message)",
            ])
        }
        do {
            let server = try SignallingServer(configuration: settings, logger: logger)
            server.useConfigurationFile(path: config)
            try server.run()
        } catch {
            logger.critical("SBC failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; every problem is reported with its key path and line. "
            + "TLS certificate, key and CA files are read and checked too (warnings for certificates near expiry); "
            + "trunk group members that differ in codecs, SRTP, TLS, 100rel, early media or DTMF are warnings, "
            + "and so is a media port range too small for the trunks' max_calls and overload.max_cps."
    )

    @Argument(help: "Path of the YAML configuration.")
    var file: String

    @Flag(name: .long, help: "Check the YAML only; do not read the TLS files it names (for a template on another host).")
    var skipFiles = false

    func run() throws {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigLoader.loadReporting(path: file)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        let settings = loaded.configuration
        // Warnings (trunk group members that differ, a media port range too small for the call
        // limits) never change the exit status.
        for warning in loaded.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
        guard !skipFiles else {
            print("\(file): OK (\(settings.summary); files not read)")
            return
        }
        let tls = TLSConfigurationCheck(settings)
        for warning in tls.warnings { FileHandle.standardError.write(Data("\(file): warning: \(warning)\n".utf8)) }
        // Trunk passwords (docs/AUTH.md): a variable or file missing here is only a warning, since
        // check-config may run without the service's environment; `sbc run` refuses to start on it.
        let credentials = TrunkCredentialResolver.resolve(settings)
        for warning in credentials.warnings + credentials.problems.map({ "\($0); sbc run would refuse to start" }) {
            FileHandle.standardError.write(Data("\(file): warning: \(warning)\n".utf8))
        }
        guard tls.errors.isEmpty else {
            for error in tls.errors { FileHandle.standardError.write(Data("\(file): \(error)\n".utf8)) }
            throw ExitCode(1)
        }
        print("\(file): OK (\(settings.summary))")
    }
}
