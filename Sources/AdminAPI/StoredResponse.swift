/// A response as the idempotency cache keeps it: enough to replay it byte for byte, plus the
/// method, path and request it answered so a key reused for a different request is refused (422).
public struct StoredResponse: Sendable, Equatable {
    public var method: String
    public var path: String
    public var status: Int
    /// The JSON body exactly as first sent.
    public var body: [UInt8]
    /// SHA-256 (hex) of what the request asked for (its reason), so that the same key with a
    /// different body is refused rather than answered with a response to something else. Empty
    /// for responses stored before the digest existed: those are compared by method and path only.
    public var requestDigest: String

    public init(method: String, path: String, status: Int, body: [UInt8], requestDigest: String = "") {
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.requestDigest = requestDigest
    }
}
