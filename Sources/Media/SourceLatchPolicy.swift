/// Which first packet may teach a port where its remote party really is.
public enum SourceLatchPolicy: Sendable, Equatable {
    /// Only a source whose IP equals the signalled remote IP may latch, from any port (NAT
    /// rewrites ports far more often than addresses). With nothing signalled nothing latches.
    /// Strict source checking: a stranger who guesses the port cannot hijack the stream.
    case signalledAddress
    /// The first valid packet latches, whoever sent it: for parties behind NATs that rewrite the
    /// address too (the SDP then names a private IP that never appears on the wire).
    case anySource
}
