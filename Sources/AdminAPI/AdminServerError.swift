/// Why `AdminServer.run()` could not start.
public enum AdminServerError: Error, Sendable, Equatable {
    /// `listen` is not `host:port`.
    case invalidListenAddress(String)
}
