import SIPCore

/// Option tags (RFC 3261 19.2) and the per-leg extension headers of 100rel (RFC 3262) and
/// session timers (RFC 4028), read and written the way the B2BUA needs them on each leg.
extension SIPMessage {
    static let rseqHeader = SIPHeaderName("rseq")
    static let rackHeader = SIPHeaderName("rack")
    static let sessionExpiresHeader = SIPHeaderName("session-expires")
    static let minSEHeader = SIPHeaderName("min-se")

    /// Whether `Supported` (or `Require`, or either when `name` is nil) lists `tag`.
    func lists(_ tag: String, in name: SIPHeaderName? = nil) -> Bool {
        let names = name.map { [$0] } ?? [.supported, .require]
        return headers.contains { field in
            names.contains(field.name)
                && field.value.split(separator: ",").contains { $0.trimmingWhitespace().equalsIgnoringASCIICase(tag) }
        }
    }

    /// Removes `tag` from every Supported and Require field (a field left empty goes).
    mutating func removeOptionTag(_ tag: String) {
        var kept: [SIPHeaderField] = []
        kept.reserveCapacity(headers.count)
        for field in headers {
            guard field.name == .supported || field.name == .require else {
                kept.append(field)
                continue
            }
            let tags = field.value.split(separator: ",").map { $0.trimmingWhitespace() }
                .filter { !$0.isEmpty && !$0.equalsIgnoringASCIICase(tag) }
            if !tags.isEmpty { kept.append(SIPHeaderField(field.name, tags.joined(separator: ", "))) }
        }
        headers = kept
    }

    /// Adds `tag` to the first field called `name` (Supported or Require), or a new field.
    mutating func addOptionTag(_ tag: String, to name: SIPHeaderName) {
        guard !lists(tag, in: name) else { return }
        if let index = headers.firstIndex(where: { $0.name == name }) {
            headers[index].value += ", \(tag)"
        } else {
            add(name, tag)
        }
    }

    /// `RSeq` of a reliable provisional response (RFC 3262 §7.1): 1 to 2^32-1.
    var rseq: UInt32? {
        firstValue(Self.rseqHeader).flatMap { UInt32($0.trimmingWhitespace()) }.flatMap { $0 == 0 ? nil : $0 }
    }

    /// A provisional response the UAS sent reliably: it requires 100rel and numbers itself.
    var isReliableProvisional: Bool {
        guard let status = statusCode, (101..<200).contains(status) else { return false }
        return rseq != nil && lists("100rel", in: .require)
    }

    /// Whether the message's Allow lists `method` (RFC 3261 20.5).
    func allows(_ method: SIPMethod) -> Bool {
        values(.allow).contains { value in
            value.split(separator: ",").contains { $0.trimmingWhitespace() == method.name }
        }
    }
}

/// `RAck: <rseq> <cseq> <method>` (RFC 3262 §7.2): which reliable provisional a PRACK acknowledges.
struct ReliableAcknowledgement: Sendable, Equatable, CustomStringConvertible {
    var rseq: UInt32
    var cseq: UInt32
    var method: SIPMethod

    var description: String { "\(rseq) \(cseq) \(method)" }

    init(rseq: UInt32, cseq: UInt32, method: SIPMethod) {
        self.rseq = rseq
        self.cseq = cseq
        self.method = method
    }

    init?(_ message: SIPMessage) {
        guard let value = message.firstValue(SIPMessage.rackHeader) else { return nil }
        let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 3, let rseq = UInt32(parts[0]), let cseq = UInt32(parts[1]) else { return nil }
        self.init(rseq: rseq, cseq: cseq, method: SIPMethod(String(parts[2])))
    }
}
