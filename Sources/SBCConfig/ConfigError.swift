/// Why a configuration could not be loaded: every problem found, not just the first.
///
/// The loader keeps going after a problem wherever the rest of the file still makes sense, so that
/// an operator fixing a config before a maintenance window sees the whole list in one run of
/// `sbc check-config` instead of fixing, rerunning and finding the next one. It is thrown only when
/// `problems` is non-empty: a configuration with any problem is never returned half-loaded, because
/// an SBC running on a guessed value (a typo'd timer falling back to its default, say) fails in
/// ways that are far harder to diagnose than a refusal to start.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems in file order: by line and column, whole-file problems (no line) first, and
    /// problems at the same place in the order they were found. Never empty when thrown.
    public var problems: [ConfigProblem]

    /// Creates an error from problems; the loader sorts them into file order.
    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    /// One line per problem, each in the `source:line:column: keyPath: message` form, so that the
    /// output of `sbc check-config` can be read by people, grepped, and parsed by editors.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }

    /// The problems at one key path, for tests and for tools that highlight a field.
    public func problems(at keyPath: String) -> [ConfigProblem] {
        problems.filter { $0.keyPath == keyPath }
    }
}
