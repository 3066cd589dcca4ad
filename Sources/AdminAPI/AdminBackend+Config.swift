/// Configuration reload through the admin API (docs/RELOAD.md). Default implementations so that
/// backends without a configuration file (test fakes, tools) need not provide them.
extension AdminBackend {
    /// Re-reads and validates the configuration file; applies what can change live.
    /// A refused file is a report with `result` `refused`, not an error.
    public func reloadConfiguration(reason: String, actor: String) async throws(AdminError) -> ConfigReloadReport {
        throw .unavailable("configuration reload is not supported by this backend")
    }

    /// The running configuration's generation and digest; nil without a configuration file.
    public func configurationStatus() async -> ConfigurationStatus? { nil }
}
