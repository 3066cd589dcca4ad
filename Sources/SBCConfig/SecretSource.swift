import Yams

/// Where a secret (a trunk's digest password, the store's database password) comes from: exactly
/// one of the keys `password` (in the file: discouraged, the file then is a secret), `password_env`
/// (an environment variable of the SBC process) or `password_file` (a file readable by the SBC,
/// trailing newline stripped).
///
/// Why one type for every secret: the rules (one source, never printed, read by the process that
/// uses it rather than by whoever validates the file) are the same wherever a password is needed,
/// so they are written once. `description` and the mirror never show an inline password.
public enum SecretSource: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Key `password`: the password itself, in the configuration file.
    case inline(String)
    /// Key `password_env`: the name of an environment variable.
    case environment(String)
    /// Key `password_file`: the path of a file holding the password.
    case file(String)

    /// The keys a secret may be given with, for a section's unknown-key detection.
    static let keys = ["password", "password_env", "password_file"]

    /// The key it was given with (for messages): never the password.
    public var key: String {
        switch self {
        case .inline: "password"
        case .environment: "password_env"
        case .file: "password_file"
        }
    }

    public var description: String {
        switch self {
        case .inline: "password <redacted>"
        case .environment(let name): "password_env \(name)"
        case .file(let path): "password_file \(path)"
        }
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["source": description]) }

    /// Reads the one source given in `reader`'s mapping, reporting none or several; `what` names
    /// the secret in the message ("the password's source").
    static func read(_ reader: MappingReader, what: String) -> SecretSource? {
        var sources: [SecretSource] = []
        if let text = reader.string("password") { sources.append(.inline(text)) }
        if let name = reader.string("password_env") {
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                reader.problems.report(reader.path("password_env"),
                                       "must be an environment variable name (letters, digits, '_')")
            }
            sources.append(.environment(name))
        }
        if let path = reader.string("password_file") {
            if path.isEmpty { reader.problems.report(reader.path("password_file"), "must be a file path") }
            sources.append(.file(path))
        }
        guard sources.count == 1, let source = sources.first else {
            let verb = sources.isEmpty ? "needs one of" : "takes only one of"
            reader.problems.report(reader.path(sources.isEmpty ? "password" : sources[1].key),
                                   "\(verb) password_env, password_file or password (\(what))")
            return nil
        }
        return source
    }

    /// The secret itself, or why it cannot be had (a variable not set or empty, a file missing,
    /// unreadable or empty). `environment` and `readFile` are injected for tests.
    public func resolve(environment: (String) -> String?,
                        readFile: (String) -> Swift.Result<String, ConfigError>) -> Swift.Result<String, SecretError> {
        switch self {
        case .inline(let text):
            return .success(text)
        case .environment(let name):
            guard let value = environment(name), !value.isEmpty else {
                return .failure(SecretError(key: key, message: "environment variable \(name) is not set or empty"))
            }
            return .success(value)
        case .file(let path):
            switch readFile(path) {
            case .success(var text):
                while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
                guard !text.isEmpty else { return .failure(SecretError(key: key, message: "\(path) is empty")) }
                return .success(text)
            case .failure(let error):
                return .failure(SecretError(key: key, message: "\(path): \(error.problems.first?.message ?? "cannot read")"))
            }
        }
    }
}

/// Why a secret could not be read: the key it was configured with and a sentence without the secret.
public struct SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var description: String { "\(key): \(message)" }
}
