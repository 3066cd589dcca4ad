import AdminAPI

/// What the server remembers about its configuration file for reloads (docs/RELOAD.md): where it
/// is, which version runs, and the last attempt. Loop-confined, like the rest of the server.
struct ConfigurationReloadState {
    /// The file given to `sbc run --config`; nil when the server was built from a value (tests,
    /// tools): SIGHUP then reloads the TLS certificates only.
    var path: String?
    /// 1 at start, +1 for every reload that applied something.
    var generation = 1
    /// SHA-256 (hex) of the file text last applied.
    var digest = ""
    /// Unix seconds when that file was loaded.
    var loadedAt: Double = 0
    /// A reload read restart-only changes that still wait for the restart.
    var restartPending = false
    var lastReload: ConfigurationStatus.LastReload?

    var status: ConfigurationStatus {
        ConfigurationStatus(generation: generation, digest: digest, loadedAt: loadedAt, path: path ?? "",
                            restartPending: restartPending, lastReload: lastReload)
    }
}
