import SBCConfig

/// libFuzzer entry point: a configuration file, as `sbc check-config`, `sbc run` and the admin
/// API's upload read it (YAML through Yams, the typed sections, then `ConfigValidator`).
///
/// A configuration comes from an operator, not a stranger, but an upload through the admin API
/// is parsed inside the running SBC: any input must give a configuration or a `ConfigError`
/// with at least one problem, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let loaded = try ConfigLoader.parseReporting(yaml: text, source: "fuzz.yaml")
        _ = loaded.warnings.map(\.description)
    } catch {
        guard !error.problems.isEmpty else { fatalError("ConfigError without problems") }
        _ = error.description
    }
    return 0
}
