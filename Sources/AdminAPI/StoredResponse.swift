/// A response as the idempotency cache keeps it: enough to replay it byte for byte, plus the
/// method and path it answered so a key reused for a different request is refused (422).
public struct StoredResponse: Sendable, Equatable {
    public var method: String
    public var path: String
    public var status: Int
    /// The JSON body exactly as first sent.
    public var body: [UInt8]

    public init(method: String, path: String, status: Int, body: [UInt8]) {
        self.method = method
        self.path = path
        self.status = status
        self.body = body
    }
}
