/// The methods each registered path answers, so that a known path asked with another method gets
/// 405 Method Not Allowed with an `Allow` header (RFC 9110 §15.5.6) rather than a 404 that would
/// tell a client the resource does not exist.
///
/// Filled once, after the routes are registered (Hummingbird applies a middleware only to the
/// routes added after it, so the error middleware exists before the table is complete).
final class RouteMethods: Sendable {
    private struct Route {
        /// Path segments; nil for a parameter (`{name}`), which matches any one segment.
        var segments: [String?]
        var methods: [String]
    }

    private let routes = LockedState<[Route]>([])

    /// Records every route as `(method, path)` with parameters written `{name}`.
    func record(_ table: [(method: String, path: String)]) {
        var routes: [Route] = []
        for (method, path) in table {
            let segments = Self.segments(path).map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : $0 }
            if let index = routes.firstIndex(where: { $0.segments == segments }) {
                routes[index].methods.append(method)
            } else {
                routes.append(Route(segments: segments, methods: [method]))
            }
        }
        self.routes.withLock { $0 = routes }
    }

    /// The methods `path` answers, sorted; nil when no route has that path.
    func allowed(for path: String) -> [String]? {
        let segments = Self.segments(path)
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { template, segment in
                        template.map { $0 == segment } ?? !segment.isEmpty
                    }
            }.flatMap(\.methods)
        }
        return methods.isEmpty ? nil : Array(Set(methods)).sorted()
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
