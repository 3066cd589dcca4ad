/// Names one relay session (one call's media) across the signalling thread and the workers.
///
/// A plain integer the B2BUA hands out, not the SIP Call-ID: commands and events cross threads
/// on every call, and a fixed-size key keeps them allocation-free to hash and compare.
public struct MediaSessionID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { "media-\(rawValue)" }
}
