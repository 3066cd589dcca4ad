import Foundation
import Hummingbird

/// JSON encoding shared by every response.
///
/// Bodies are encoded to bytes by hand (rather than returning `Codable` values to Hummingbird)
/// because an idempotent write must store exactly the bytes it sent in order to replay them;
/// keys are sorted so equal values always give equal bytes.
enum AdminJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail; fall back to a valid error body regardless.
        return (try? Array(encoder.encode(value))) ?? Array(#"{"error":"internal","detail":"encoding failed"}"#.utf8)
    }

    static func response(status: HTTPResponse.Status, body: [UInt8], headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func response(status: HTTPResponse.Status, value: some Encodable, headers: HTTPFields = [:]) -> Response {
        response(status: status, body: encode(value), headers: headers)
    }
}
