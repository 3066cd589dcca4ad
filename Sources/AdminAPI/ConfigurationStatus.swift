/// Which configuration the SBC runs (`GET /api/v1/config`, and inside every reload answer): never
/// the file's content, which holds token hashes and credential references.
public struct ConfigurationStatus: Codable, Sendable, Equatable {
    /// 1 at start, +1 for every reload that applied something.
    public var generation: Int
    /// Lowercase hex SHA-256 of the file text last applied (compare with `sha256sum FILE`).
    public var digest: String
    /// When that file was loaded, unix seconds.
    public var loadedAt: Double
    /// The file's path, as given to `sbc run --config`.
    public var path: String
    /// Restart-only changes read by a reload since start and still waiting for the restart.
    public var restartPending: Bool
    /// The last reload attempt, if any.
    public var lastReload: LastReload?

    public struct LastReload: Codable, Sendable, Equatable {
        /// `applied`, `unchanged` or `refused`.
        public var result: String
        public var actor: String
        /// Unix seconds.
        public var at: Double

        public init(result: String, actor: String, at: Double) {
            self.result = result
            self.actor = actor
            self.at = at
        }
    }

    public init(generation: Int, digest: String, loadedAt: Double, path: String, restartPending: Bool = false,
                lastReload: LastReload? = nil) {
        self.generation = generation
        self.digest = digest
        self.loadedAt = loadedAt
        self.path = path
        self.restartPending = restartPending
        self.lastReload = lastReload
    }
}
