#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// Loads an ``SBCConfiguration`` from YAML and validates it, reporting every problem at once.
///
/// Why an enum of static functions: loading has no state worth keeping between calls, and the
/// server, `sbc check-config`, the admin API (validating an uploaded config before applying it)
/// and tests all need the same two entry points. Both throw only ``ConfigError``, whose problems
/// carry the source, line, column and key path of each mistake, so every caller can show them
/// the same way.
///
/// The stages, each reporting into one ``ProblemCollector``:
/// 1. YAML syntax (Yams/libyaml): a syntax error stops here, since nothing after it is reliable.
/// 2. Shape and values, section by section (unknown keys, types, ranges, required keys).
/// 3. Whole-configuration checks (``ConfigValidator``): names, references, collisions, routes.
public enum ConfigLoader {
    /// The top-level sections, for unknown-key detection and suggestions.
    static let sections = ["node", "sip", "zones", "trunks", "trunk_groups", "routes", "routing", "profiles",
                           "security", "overload", "shutdown", "recovery", "logging", "admin", "alerts", "media", "tls",
                           "store"]

    /// Reads and validates the configuration file at `path`; problems name `path` as their source.
    /// Warnings are dropped: `sbc check-config` and `sbc run` use ``loadReporting(path:)``.
    public static func load(path: String) throws(ConfigError) -> SBCConfiguration {
        try loadReporting(path: path).configuration
    }

    /// Validates YAML text; problems name `source` (a file name, or a label such as
    /// `"admin API upload"`) as their source. Warnings are dropped (see ``parseReporting(yaml:source:)``).
    public static func parse(yaml: String, source: String) throws(ConfigError) -> SBCConfiguration {
        try parseReporting(yaml: yaml, source: source).configuration
    }

    /// ``load(path:)`` with the warnings of a configuration that loads (group members set up
    /// differently, ``TrunkGroupConsistency``). Warnings never refuse a file; a file with problems
    /// throws its problems only.
    public static func loadReporting(path: String) throws(ConfigError) -> LoadedConfiguration {
        let text: String
        do {
            text = try readFile(path)
        } catch {
            throw ConfigError(problems: [ConfigProblem(source: path, keyPath: "", message: error.message)])
        }
        return try parseReporting(yaml: text, source: path)
    }

    /// ``parse(yaml:source:)`` with the warnings of a configuration that loads.
    public static func parseReporting(yaml: String, source: String) throws(ConfigError) -> LoadedConfiguration {
        let problems = ProblemCollector(source: source)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(problems: [syntaxProblem(error, source: source)])
        }
        guard let root, !MappingReader.isNull(root) else {
            throw ConfigError(problems: [ConfigProblem(
                source: source, keyPath: "",
                message: "the file is empty; a configuration needs at least zones, trunks and routes")])
        }
        guard case .mapping = root else {
            throw ConfigError(problems: [ConfigProblem(
                source: source, line: root.mark?.line, column: root.mark?.column, keyPath: "",
                message: "the top level must be a mapping of sections (\(sections.joined(separator: ", "))), "
                    + "got \(MappingReader.describe(root))")])
        }
        let configuration = readSections(root, problems: problems)
        // Whole-configuration checks run even after section problems: they skip the placeholders
        // (empty names) left for values already reported, so what they find is independent.
        ConfigValidator(config: configuration, problems: problems).run()
        let found = problems.sortedProblems()
        if !found.isEmpty {
            throw ConfigError(problems: found)
        }
        // Lint only a configuration that loads: on a broken one its warnings would be noise.
        TrunkGroupConsistency(config: configuration, problems: problems).run()
        MediaPortCapacity(config: configuration, problems: problems).run()
        return LoadedConfiguration(configuration: configuration, warnings: problems.sortedWarnings())
    }

    // MARK: - Sections

    /// Reads every section of the root mapping into the typed model, with defaults for what is
    /// absent and placeholders for what is wrong (already reported).
    private static func readSections(_ root: Node, problems: ProblemCollector) -> SBCConfiguration {
        guard let reader = MappingReader(root, at: "", keys: sections, ignoringPrefix: "x-",
                                         problems: problems) else { return SBCConfiguration() }
        var configuration = SBCConfiguration()
        configuration.node = NodeSettings.read(reader.value("node"), at: "node", problems: problems)
        configuration.sip = SIPSettings.read(reader.value("sip"), at: "sip", problems: problems)
        configuration.zones = list(reader, "zones", required: "at least one zone is required",
                                   ZoneSettings.read)
        configuration.trunks = list(reader, "trunks", required: "at least one trunk is required",
                                    TrunkSettings.read)
        configuration.trunkGroups = list(reader, "trunk_groups", required: nil, TrunkGroupSettings.read)
        configuration.routes = list(reader, "routes", required: "at least one route is required",
                                    RouteSettings.read)
        configuration.routing = RoutingSettings.read(reader.value("routing"), at: "routing", problems: problems)
        configuration.profiles = list(reader, "profiles", required: nil, ProfileSettings.read)
        configuration.security = SecuritySettings.read(reader.value("security"), at: "security", problems: problems)
        configuration.overload = OverloadSettings.read(reader.value("overload"), at: "overload", problems: problems)
        configuration.shutdown = ShutdownSettings.read(reader.value("shutdown"), at: "shutdown", problems: problems)
        configuration.recovery = RecoverySettings.read(reader.value("recovery"), at: "recovery", problems: problems)
        if configuration.shutdown.mode == .restart, !configuration.recovery.enabled {
            problems.warn("shutdown.mode", "restart keeps calls only with recovery.enabled: true; SIGTERM drains instead")
        }
        configuration.logging = LoggingSettings.read(reader.value("logging"), at: "logging", problems: problems)
        configuration.admin = AdminSettings.read(reader.value("admin"), at: "admin", problems: problems)
        configuration.alerts = AlertSettings.read(reader.value("alerts"), at: "alerts", problems: problems)
        configuration.tls = TLSSettings.read(reader.value("tls"), at: "tls", problems: problems)
        configuration.media = MediaSettings.read(reader.value("media"), at: "media", problems: problems)
        configuration.store = StoreSettings.read(reader.value("store"), at: "store", problems: problems)
        return configuration
    }

    /// Reads a top-level list with `element`, reporting `required` when it is absent or empty.
    private static func list<Element>(_ reader: MappingReader, _ key: String, required: String?,
                                      _ element: (Node, String, ProblemCollector) -> Element) -> [Element] {
        let value = reader.value(key)
        let items = reader.sequence(key)  // nil when absent or null; [] (reported) when not a list
        if let required {
            var isEmptyList = false
            if case let .sequence(sequence)? = value { isEmptyList = sequence.count == 0 }
            if value == nil || isEmptyList {
                reader.problems.report(reader.path(key), required)
            }
        }
        return (items ?? []).map { element($0.node, $0.path, reader.problems) }
    }

    // MARK: - Syntax errors and files

    /// Turns a Yams/libyaml error into one problem at its line and column.
    static func syntaxProblem(_ error: any Error, source: String) -> ConfigProblem {
        func problem(_ mark: Mark?, _ message: String) -> ConfigProblem {
            ConfigProblem(source: source, line: mark?.line, column: mark?.column, keyPath: "", message: message)
        }
        guard let error = error as? YamlError else {
            return problem(nil, "YAML error: \(error)")
        }
        switch error {
        case let .scanner(context, text, mark, _), let .parser(context, text, mark, _),
             let .composer(context, text, mark, _):
            // libyaml splits messages into a context ("while parsing a block mapping") and a
            // problem; a problem starting with "but" only reads well after its context.
            guard let context else { return problem(mark, "YAML syntax error: \(text)") }
            if text.hasPrefix("but ") {
                return problem(mark, "YAML syntax error: \(context.text) (from line \(context.mark.line)), \(text)")
            }
            return problem(mark, "YAML syntax error: \(text) (\(context.text), from line \(context.mark.line))")
        case let .reader(text, offset, _, yaml):
            let place = offset.map { position(ofCharacterOffset: $0, in: yaml) }
            return ConfigProblem(source: source, line: place?.line, column: place?.column, keyPath: "",
                                 message: "the file is not valid text: \(text)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return problem(context.mark,
                           "duplicate key \(keys) in one mapping (first written here); YAML allows each key once")
        default:
            return problem(nil, "YAML error: \(error)")
        }
    }

    /// 1-based line and column of the character at `offset` in `text`.
    private static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for (index, character) in text.enumerated() {
            if index == offset { break }
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// The C library's `read(2)`, named apart from this type's own functions.
    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
        #else
        Darwin.read(descriptor, buffer, count)
        #endif
    }

    /// Why a file could not be read, as the C library puts it.
    struct ReadFailure: Error {
        let message: String
    }

    /// Reads a whole UTF-8 file with the C library, so that the error names the real cause
    /// (`No such file or directory`, `Permission denied`, `Is a directory`).
    static func readFile(_ path: String) throws(ReadFailure) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadFailure(message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadFailure(message: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 16 << 20 { throw ReadFailure(message: "cannot read: larger than 16 MiB, not a configuration file") }
        }
        let invalid = transcode(bytes.makeIterator(), from: UTF8.self, to: UTF32.self,
                                stoppingOnError: true) { _ in }
        if invalid {
            throw ReadFailure(message: "the file is not valid UTF-8 text")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
