/// A `name[=value]` parameter of a header or URI. Names compare case-insensitively (RFC 3261
/// 7.3.1); values are kept as written so that re-serialisation is faithful.
public struct SIPParameter: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == SIPParameter {
    /// The first parameter called `name` (case-insensitive): `.some(nil)` when present without value.
    public subscript(parameter name: String) -> String?? {
        first { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public func contains(parameter name: String) -> Bool {
        contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Sets or replaces `name`, keeping the position of an existing parameter.
    public mutating func set(_ name: String, to value: String?) {
        if let index = firstIndex(where: { $0.name.equalsIgnoringASCIICase(name) }) {
            self[index].value = value
        } else {
            append(SIPParameter(name: name, value: value))
        }
    }

    public mutating func remove(parameter name: String) {
        removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    var serialized: String { SIPParameterList(self).wireText }

    /// Writes `;name[=value]` for each: headers are written into one buffer, not joined from pieces.
    func write<Sink: SIPWireSink>(to sink: inout Sink) {
        for parameter in self {
            sink.append(UInt8(ascii: ";"))
            sink.append(parameter.name)
            if let value = parameter.value {
                sink.append(UInt8(ascii: "="))
                sink.append(value)
            }
        }
    }
}

/// A parameter list on its own, for `wireText` (an Array cannot take the conformance).
struct SIPParameterList: SIPWireWritable {
    let parameters: [SIPParameter]

    init(_ parameters: [SIPParameter]) {
        self.parameters = parameters
    }

    func write<Sink: SIPWireSink>(to sink: inout Sink) { parameters.write(to: &sink) }
}

extension StringProtocol {
    /// ASCII case-insensitive equality: SIP's case rules (parameter and header names, schemes)
    /// are ASCII-only, and SIPCore avoids Foundation on the message path.
    public func equalsIgnoringASCIICase<Other: StringProtocol>(_ other: Other) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
        }
    }
}

extension String {
    /// The same, for the lookups of the message path (`tag`, `branch`, `lr`, `transport`): they
    /// nearly always meet the exact spelling, which a plain comparison of two small strings
    /// confirms without walking their bytes.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        self == other || self[...].equalsIgnoringASCIICase(other[...])
    }
}
