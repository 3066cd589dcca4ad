import SIPCore

extension TransactionManager {
    /// Keys of the live client transactions whose context `matches`, e.g. every request in flight
    /// to one destination when the transport reports it unreachable (RFC 3261 18.4: an ICMP error
    /// ends the transaction like a transport error, not after Timer B/F).
    public func clientKeys(where matches: (Context) -> Bool) -> [TransactionKey] {
        table.compactMap { key, entry in key.role == .client && matches(entry.context) ? key : nil }
    }
}
