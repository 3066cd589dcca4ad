import Glibc
import SBCConfig
import TLS

/// What `sbc check-config` finds in a configuration's TLS files, beyond what the YAML says:
/// files that cannot be read or parsed, keys that do not belong to their certificate, cipher
/// lists OpenSSL rejects (errors: the SBC would not start), and certificates that expire within
/// the first alert threshold (warnings: it would start, and soon fail its peers).
public struct TLSConfigurationCheck {
    public private(set) var errors: [String] = []
    public private(set) var warnings: [String] = []

    /// `now` in unix seconds.
    public init(_ configuration: SBCConfiguration, now: Int64 = Int64(time(nil))) {
        let horizon = Int64(configuration.tls.expiryAlertDays.max() ?? 30) * 86_400
        for requirement in TLSCredentials.requirements(configuration) {
            let context: TLSContext
            do {
                context = try requirement.build()
            } catch {
                errors.append("\(error)")
                continue
            }
            // An authenticating listener presents its zone's chain, checked with the zone's listener.
            if case .authenticating = requirement.use { continue }
            for certificate in context.localChain where certificate.secondsUntilExpiry(now: now) < horizon {
                warnings.append(Self.expiryWarning(certificate, key: requirement.key, now: now))
            }
        }
    }

    private static func expiryWarning(_ certificate: CertificateInfo, key: String, now: Int64) -> String {
        let seconds = certificate.secondsUntilExpiry(now: now)
        let when = seconds <= 0 ? "expired \(-seconds / 86_400) days ago" : "expires in \(seconds / 86_400) days"
        return "\(key): certificate \(certificate.subject) \(when)"
    }
}
