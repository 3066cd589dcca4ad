/// Final (or current) figures of a session, per side, summed over its streams.
public struct MediaSessionStatistics: Sendable, Equatable {
    public var a: MediaLegStatistics
    public var b: MediaLegStatistics

    public init(a: MediaLegStatistics = .init(), b: MediaLegStatistics = .init()) {
        self.a = a
        self.b = b
    }

    public subscript(side: MediaSide) -> MediaLegStatistics {
        get { side == .a ? a : b }
        set {
            if side == .a { a = newValue } else { b = newValue }
        }
    }
}
