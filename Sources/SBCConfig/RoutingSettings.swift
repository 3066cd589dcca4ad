import Yams

/// Routing behaviour that is not a route (YAML section `routing`, optional).
///
/// Why a section apart from `routes`: `routes` is a list, and settings about the table as a whole
/// (what happens when nothing matches) need a place that is not one of its entries.
public struct RoutingSettings: Sendable, Equatable {
    /// The status sent when no route matches a new call (key `unroutable_status`, default 404,
    /// 404 or 403 only). 404 Not Found says "no such destination here", which lets the platform
    /// report a wrong number; 403 Forbidden says "not allowed", for operators who would rather not
    /// reveal which numbers the SBC knows. Other codes are refused: 5xx would make a platform
    /// retry or fail over, which cannot help a call no route accepts.
    public var unroutableStatus: Int

    public static let defaultUnroutableStatus = 404
    /// The statuses `unroutable_status` may be.
    public static let allowedUnroutableStatuses = [404, 403]

    /// Creates routing settings; `unroutableStatus` defaults to 404.
    public init(unroutableStatus: Int = RoutingSettings.defaultUnroutableStatus) {
        self.unroutableStatus = unroutableStatus
    }

    /// The reason phrase that goes with ``unroutableStatus``.
    public var unroutableReason: String {
        unroutableStatus == 403 ? "Forbidden" : "Not Found"
    }
}

extension RoutingSettings {
    /// The keys of the `routing` section.
    static let keys = ["unroutable_status"]

    /// Reads the `routing` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> RoutingSettings {
        var settings = RoutingSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        if let node = reader.value("unroutable_status") {
            if case let .scalar(scalar) = node, let status = MappingReader.parseInteger(scalar.string),
               allowedUnroutableStatuses.contains(status) {
                settings.unroutableStatus = status
            } else {
                problems.report(reader.path("unroutable_status"), at: node.mark,
                                "must be 404 or 403, got \(MappingReader.describe(node))")
            }
        }
        return settings
    }
}
