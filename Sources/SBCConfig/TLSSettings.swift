import Yams

/// SIP over TLS as a whole (YAML section `tls`, optional): handshakes and certificate expiry.
/// Listeners are per zone (`zones[].tls`), peers per trunk (`trunks[].tls`).
public struct TLSSettings: Sendable, Equatable {
    /// How long a TLS handshake may take before the connection is dropped (key
    /// `handshake_timeout_ms`, default 5000, range 100-60000). A dialled carrier that does not
    /// finish in time is a transport failure, so the call fails over instead of waiting for Timer B.
    public var handshakeTimeout: Duration
    /// Days before expiry at which a certificate raises an alert, once per threshold (key
    /// `expiry_alert_days`, default `[30, 7, 1]`, each 1-365). Our certificates and every peer
    /// certificate seen are watched: an expired certificate on the secondary trunk would
    /// otherwise only be found when failover needs it.
    public var expiryAlertDays: [Int]
    /// How often certificate expiry is re-evaluated (key `expiry_check_interval_s`, default 3600,
    /// range 10-86400).
    public var expiryCheckInterval: Duration

    public static let defaultHandshakeTimeout: Duration = .milliseconds(5000)
    public static let defaultExpiryAlertDays = [30, 7, 1]
    public static let defaultExpiryCheckInterval: Duration = .seconds(3600)

    public init(handshakeTimeout: Duration = TLSSettings.defaultHandshakeTimeout,
                expiryAlertDays: [Int] = TLSSettings.defaultExpiryAlertDays,
                expiryCheckInterval: Duration = TLSSettings.defaultExpiryCheckInterval) {
        self.handshakeTimeout = handshakeTimeout
        self.expiryAlertDays = expiryAlertDays
        self.expiryCheckInterval = expiryCheckInterval
    }
}

extension TLSSettings {
    static let keys = ["handshake_timeout_ms", "expiry_alert_days", "expiry_check_interval_s"]

    static let handshakeTimeoutRange = 100...60_000
    static let expiryDayRange = 1...365
    static let expiryCheckIntervalRange = 10...86_400

    /// Reads the `tls` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> TLSSettings {
        var settings = TLSSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.handshakeTimeout = reader.milliseconds("handshake_timeout_ms", in: handshakeTimeoutRange)
            ?? settings.handshakeTimeout
        if let items = reader.sequence("expiry_alert_days") {
            var days: [Int] = []
            for item in items {
                if case let .scalar(scalar) = item.node, let value = MappingReader.parseInteger(scalar.string),
                   expiryDayRange.contains(value) {
                    days.append(value)
                } else {
                    problems.report(item.path, at: item.node.mark,
                                    "must be a number of days \(expiryDayRange.lowerBound)-\(expiryDayRange.upperBound), "
                                        + "got \(MappingReader.describe(item.node))")
                }
            }
            settings.expiryAlertDays = Array(Set(days)).sorted(by: >)
        }
        settings.expiryCheckInterval = reader.seconds("expiry_check_interval_s", in: expiryCheckIntervalRange)
            ?? settings.expiryCheckInterval
        return settings
    }
}
