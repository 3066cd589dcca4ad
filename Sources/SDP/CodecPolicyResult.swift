/// What applying a ``CodecPolicy`` did, so that the caller can log it or refuse the call.
public enum CodecPolicyResult: Sendable, Equatable {
    /// Nothing to change: the formats were already allowed and in order, or the policy does
    /// not apply (empty policy, non-audio or rejected stream).
    case unchanged
    /// Formats were removed (their payload types, in their original order; empty when the
    /// formats were only reordered).
    case filtered(removed: [String])
    /// No voice codec would remain; the description is left as it was. The caller answers
    /// 488 Not Acceptable Here or rejects the stream.
    case noCommonCodec
}
