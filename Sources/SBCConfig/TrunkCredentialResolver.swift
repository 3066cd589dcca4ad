#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads every trunk's password from where `trunks[].auth` says (the file, an environment
/// variable, a password file), when the SBC starts and in `sbc check-config`.
///
/// Why not while loading the YAML: the configuration is also validated where the secrets are
/// not (a CI job, an admin API upload), and a password must be read by the process that uses it.
public enum TrunkCredentialResolver {
    /// What resolving found: the credentials by trunk name (each password `.inline`, as read), the problems (a variable that is not
    /// set, a file that cannot be read or is empty: `sbc run` refuses to start on them) and the
    /// warnings (a password written in the configuration file).
    public struct Result: Sendable {
        public var credentials: [String: TrunkAuthSettings] = [:]
        public var problems: [String] = []
        public var warnings: [String] = []
    }

    /// `environment` and `readFile` are injected for tests; the defaults read the process
    /// environment and the file system.
    public static func resolve(_ configuration: SBCConfiguration,
                               environment: (String) -> String? = { name in getenv(name).map { String(cString: $0) } },
                               readFile: (String) -> Swift.Result<String, ConfigError> = Self.readPasswordFile)
        -> Result
    {
        var result = Result()
        for (index, trunk) in configuration.trunks.enumerated() {
            guard let auth = trunk.auth else { continue }
            let path = "trunks[\(index)].auth"
            if case .inline = auth.password {
                result.warnings.append("\(path).password: trunk \(trunk.name)'s password is written in the "
                    + "configuration file; prefer password_env or password_file")
            }
            let password: String?
            switch auth.password.resolve(environment: environment, readFile: readFile) {
            case .success(let text):
                password = text
            case .failure(let error):
                password = nil
                result.problems.append("\(path).\(error) (trunk \(trunk.name))")
            }
            if let password {
                result.credentials[trunk.name] = TrunkAuthSettings(username: auth.username, password: .inline(password),
                                                                   realm: auth.realm)
            }
        }
        return result
    }

    /// The whole file as UTF-8 (the config loader's reader, with its error wording).
    public static func readPasswordFile(_ path: String) -> Swift.Result<String, ConfigError> {
        do {
            return .success(try ConfigLoader.readFile(path))
        } catch {
            return .failure(ConfigError(problems: [ConfigProblem(source: path, keyPath: "", message: error.message)]))
        }
    }
}
