import Foundation
@testable import AdminAPI

/// libFuzzer entry point: the JSON bodies of the admin API's writes, decoded as the routes do
/// (Foundation's `JSONDecoder` into `ReasonBody` and `ActivationBody`), then the checks and the
/// idempotency fingerprint the routes compute from them.
///
/// The types are internal to AdminAPI, hence `@testable` (the fuzz build is a debug build, which
/// enables testability); the route handlers themselves need a Hummingbird request and are
/// covered by AdminAPITests and schemathesis (OpenAPIEndToEndTests).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdminJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    if let reason = try? JSONDecoder().decode(ReasonBody.self, from: body).reason {
        _ = reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        _ = reason.count <= ReasonBody.maxLength
    }
    if let activation = try? JSONDecoder().decode(ActivationBody.self, from: body) {
        _ = activation.fingerprint
    }
    return 0
}
