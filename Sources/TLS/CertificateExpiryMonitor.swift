/// Expiry watch for our certificates and every peer certificate seen, so an expired certificate
/// on a standby trunk is reported weeks before it silently kills failover.
///
/// Sans-IO: time is passed in (unix seconds), nothing reads the clock or sends anything. The
/// owner feeds it (our chains at start-up and reload, a peer's leaf after each handshake), calls
/// `evaluate` periodically, and turns alerts into webhooks and the audit log; `entries` feeds
/// the seconds-to-expiry gauges.
public struct CertificateExpiryMonitor: Sendable {
    public struct Entry: Sendable, Equatable {
        /// "zone:platform" for ours, "peer:carrier-a" for a peer's: one certificate per label.
        public var label: String
        /// The trunk a peer certificate belongs to (nil for ours).
        public var trunk: String?
        public var certificate: CertificateInfo

        public init(label: String, trunk: String? = nil, certificate: CertificateInfo) {
            self.label = label
            self.trunk = trunk
            self.certificate = certificate
        }
    }

    public struct Alert: Sendable, Equatable {
        public var entry: Entry
        /// The threshold crossed; 0 for the alert that says the certificate has expired.
        public var thresholdDays: Int
        /// Zero or less means expired.
        public var secondsLeft: Int64

        public init(entry: Entry, thresholdDays: Int, secondsLeft: Int64) {
            self.entry = entry
            self.thresholdDays = thresholdDays
            self.secondsLeft = secondsLeft
        }

        public var isExpired: Bool { secondsLeft <= 0 }
    }

    private struct Watched: Sendable {
        var entry: Entry
        /// Thresholds already alerted for this certificate.
        var alerted: Set<Int> = []
        var expiredAlerted = false
    }

    /// Descending, positive, without duplicates.
    public let thresholdsDays: [Int]
    private var watched: [String: Watched] = [:]

    public init(thresholdsDays: [Int] = [30, 7, 1]) {
        self.thresholdsDays = Array(Set(thresholdsDays.filter { $0 > 0 })).sorted(by: >)
    }

    /// Records a certificate. The same certificate seen again (a peer's, on every handshake)
    /// keeps its alert history; a different one for the label replaces it and re-arms the
    /// thresholds. Returns the alerts due now.
    public mutating func observe(_ entry: Entry, now: Int64) -> [Alert] {
        if var current = watched[entry.label], current.entry.certificate == entry.certificate {
            current.entry = entry  // the trunk name may have changed
            watched[entry.label] = current
        } else {
            watched[entry.label] = Watched(entry: entry)
        }
        return due(label: entry.label, now: now).map { [$0] } ?? []
    }

    /// Periodic evaluation (e.g. hourly). Each threshold alerts once per certificate, and once
    /// more when it has expired. A certificate that crossed several thresholds since the last
    /// look (first seen with 5 days left) alerts once, for the tightest, and the looser ones
    /// count as alerted. Alerts are ordered by label.
    public mutating func evaluate(now: Int64) -> [Alert] {
        watched.keys.sorted().compactMap { due(label: $0, now: now) }
    }

    /// Every watched certificate, ordered by label.
    public var entries: [Entry] {
        watched.keys.sorted().compactMap { watched[$0]?.entry }
    }

    /// Stops watching a label (a trunk or zone removed from the configuration).
    public mutating func forget(label: String) {
        watched.removeValue(forKey: label)
    }

    private mutating func due(label: String, now: Int64) -> Alert? {
        guard var item = watched[label] else { return nil }
        let secondsLeft = item.entry.certificate.secondsUntilExpiry(now: now)
        if secondsLeft <= 0 {
            guard !item.expiredAlerted else { return nil }
            item.expiredAlerted = true
            item.alerted.formUnion(thresholdsDays)
            watched[label] = item
            return Alert(entry: item.entry, thresholdDays: 0, secondsLeft: secondsLeft)
        }
        let crossed = thresholdsDays.filter { secondsLeft <= Int64($0) * 86_400 }
        guard let tightest = crossed.last, !item.alerted.contains(tightest) else { return nil }
        item.alerted.formUnion(crossed)
        watched[label] = item
        return Alert(entry: item.entry, thresholdDays: tightest, secondsLeft: secondsLeft)
    }
}
