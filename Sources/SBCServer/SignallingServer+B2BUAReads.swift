import B2BUA

/// The B2BUA reads the server makes for every message. Calling a non-mutating member of the
/// B2BUA where it is a class's stored property made Swift copy the whole struct first (every
/// field retained and released: about 2% of the signalling thread at 2,000 calls/s). Under an
/// exclusive (inout) access the member reads it in place; nothing is modified.
enum B2BUAReads {
    static func nextDeadline(of b2bua: inout B2BUA) -> Duration? { b2bua.nextDeadline }

    static func isTrunkSource(_ b2bua: inout B2BUA, zone: String, address: String) -> Bool {
        b2bua.isTrunkSource(zone: zone, address: address)
    }
}
