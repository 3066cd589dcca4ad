/// One m= line relayed between the two sides.
public struct MediaStreamSpec: Sendable, Equatable {
    /// The m= line index: updates match streams by it, so a re-INVITE that adds video keeps the
    /// audio stream's sockets, latches and statistics.
    public var index: Int
    public var a: MediaLegSpec
    public var b: MediaLegSpec

    public init(index: Int, a: MediaLegSpec, b: MediaLegSpec) {
        self.index = index
        self.a = a
        self.b = b
    }

    public subscript(side: MediaSide) -> MediaLegSpec {
        get { side == .a ? a : b }
        set {
            if side == .a { a = newValue } else { b = newValue }
        }
    }
}
