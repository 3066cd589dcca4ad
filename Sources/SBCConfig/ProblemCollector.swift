import Yams

/// Collects the problems of one load and remembers where each key path sits in the file.
///
/// Why a shared collector instead of throwing: the brief for `sbc check-config` is "every problem at
/// once". Each section reader reports into this and carries on with a placeholder value, and the
/// cross-reference checks (``ConfigValidator``) run on the typed model afterwards. Those checks
/// work on typed values that no longer have YAML marks, so every value the readers touch records
/// its mark here under its key path (`trunks[2].zone`), and a later check can point at the right
/// line by naming the key path alone.
///
/// A class because readers for nested mappings share it; it lives for one `parse` call on one
/// thread and never escapes, so it is deliberately not `Sendable`.
final class ProblemCollector {
    /// The label problems carry (file path or caller-supplied name).
    let source: String

    private var collected: [ConfigProblem] = []
    private var seen: Set<ConfigProblem> = []
    private var warningsCollected: [ConfigWarning] = []
    private var marks: [String: Mark] = [:]

    init(source: String) {
        self.source = source
    }

    /// True once anything has been reported.
    var isEmpty: Bool { collected.isEmpty }

    /// Records where `keyPath` is in the file, for later reports that name only the path.
    /// The first mark recorded for a path wins: it is the key itself rather than something inside.
    func note(_ keyPath: String, at mark: Mark?) {
        guard let mark, marks[keyPath] == nil else { return }
        marks[keyPath] = mark
    }

    /// The mark recorded for exactly `keyPath` (nil when the file does not write that key).
    func markIfRecorded(_ keyPath: String) -> Mark? {
        marks[keyPath]
    }

    /// The recorded mark of `keyPath`, or of its nearest ancestor that has one
    /// (`routes[3].trunk` → `routes[3]` → `routes` → the root), so that a problem about a key that
    /// is missing points at the mapping that should have held it.
    func mark(of keyPath: String) -> Mark? {
        var path = keyPath
        while true {
            if let mark = marks[path] { return mark }
            if path.isEmpty { return nil }
            path = Self.parent(of: path)
        }
    }

    /// Reports a problem at an explicit mark (or, when `mark` is nil, at the recorded place of the
    /// key path or its ancestors). The same problem reported twice is kept once.
    func report(_ keyPath: String, at mark: Mark? = nil, _ message: String) {
        let problem = located(keyPath, at: mark, message)
        if seen.insert(problem).inserted {
            collected.append(problem)
        }
    }

    /// Records a warning (the configuration still loads), located like ``report(_:at:_:)``.
    func warn(_ keyPath: String, at mark: Mark? = nil, _ message: String) {
        let warning = ConfigWarning(location: located(keyPath, at: mark, message))
        if !warningsCollected.contains(warning) { warningsCollected.append(warning) }
    }

    /// The warnings in file order (stable among equal positions).
    func sortedWarnings() -> [ConfigWarning] {
        Self.inFileOrder(warningsCollected.map(\.location)).map { ConfigWarning(location: $0) }
    }

    /// `message` at `mark`, or at the recorded place of `keyPath` or its ancestors.
    private func located(_ keyPath: String, at mark: Mark?, _ message: String) -> ConfigProblem {
        let where_ = mark ?? self.mark(of: keyPath)
        return ConfigProblem(source: source, line: where_?.line, column: where_?.column, keyPath: keyPath,
                             message: message)
    }

    /// Whether a problem was reported at exactly `keyPath`. Cross-reference checks use it to stay
    /// quiet about consequences of a value that is already reported (a zone whose `udp_port` is
    /// invalid does not also "lack" UDP for its trunks).
    func hasProblem(at keyPath: String) -> Bool {
        collected.contains { $0.keyPath == keyPath }
    }

    /// The problems in file order; among equal positions the order of reporting is kept, because
    /// readers report the more fundamental problem first.
    func sortedProblems() -> [ConfigProblem] {
        Self.inFileOrder(collected)
    }

    /// By line and column; among equal positions in the order given.
    private static func inFileOrder(_ items: [ConfigProblem]) -> [ConfigProblem] {
        items.enumerated()
            .sorted { lhs, rhs in
                let left = (lhs.element.line ?? 0, lhs.element.column ?? 0)
                let right = (rhs.element.line ?? 0, rhs.element.column ?? 0)
                return left != right ? left < right : lhs.offset < rhs.offset
            }
            .map(\.element)
    }

    /// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → `` (the root).
    static func parent(of keyPath: String) -> String {
        guard let last = keyPath.lastIndex(where: { $0 == "." || $0 == "[" }) else { return "" }
        return String(keyPath[..<last])
    }

    /// `child(of: "trunks[1]", "port")` is `trunks[1].port`; the root has no leading dot.
    static func child(of keyPath: String, _ key: String) -> String {
        keyPath.isEmpty ? key : "\(keyPath).\(key)"
    }

    /// `element(of: "routes", 3)` is `routes[3]`.
    static func element(of keyPath: String, _ index: Int) -> String {
        "\(keyPath)[\(index)]"
    }
}
