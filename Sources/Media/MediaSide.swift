/// One of the two parties of a relayed stream.
///
/// The raw values are the leg offsets the relay uses for its per-stream storage (a = 0, b = 1),
/// so `other` is a single bit flip on the packet path.
public enum MediaSide: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// The leg the call came in on.
    case a = 0
    /// The leg the SBC originated.
    case b = 1

    public var other: MediaSide { self == .a ? .b : .a }

    public var description: String { self == .a ? "a" : "b" }
}
