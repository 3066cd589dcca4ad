/// One established call's stored snapshot (table `established_calls`, docs/RESTART.md): the
/// B2BUA's record as opaque bytes (JSON), keyed by the caller's Call-ID and our tag.
///
/// Opaque here because the store knows nothing of calls: the server encodes and decodes the
/// B2BUA's `EstablishedCallRecord`. The bytes hold SDES master keys: never log them.
public struct EstablishedCallRow: Sendable, Equatable {
    public var key: String
    public var record: [UInt8]
    /// Unix seconds of the last write.
    public var updatedAt: Double

    public init(key: String, record: [UInt8], updatedAt: Double) {
        self.key = key
        self.record = record
        self.updatedAt = updatedAt
    }
}

/// One queued write of `EstablishedCallStore`. A snapshot is queued as a value and encoded
/// (JSON) on the writer thread, so the signalling loop never pays for the encoding.
enum EstablishedCallWriteItem: Sendable {
    case save(key: String, record: any Encodable & Sendable, updatedAt: Double)
    case remove(key: String)
}
