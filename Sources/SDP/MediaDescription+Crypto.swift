/// SDES keying of one media section: its `a=crypto` lines and its security profile.
extension MediaDescription {
    /// How the section's protocol secures RTP.
    public var securityProfile: RTPSecurityProfile { RTPSecurityProfile(proto: proto) }

    /// Every `a=crypto` of the section in order, each parsed or with the reason it could not
    /// be: one bad line does not hide the others, since an answer may pick any acceptable one.
    public var cryptoAttributes: [Result<SDPCryptoAttribute, SDPCryptoError>] {
        lines.compactMap { line -> Result<SDPCryptoAttribute, SDPCryptoError>? in
            guard case let .some(.some(value)) = line.attributeText(named: "crypto") else { return nil }
            do throws(SDPCryptoError) {
                return .success(try SDPCryptoAttribute(value: String(value)))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Whether the section has any `a=crypto` line, readable or not.
    public var hasCryptoAttributes: Bool { lines.contains { $0.isAttribute(named: "crypto") } }

    /// Replaces every `a=crypto` with `attributes`, where the first one stood (else at the end),
    /// so that a section rewritten for another leg never keeps a key that leg must not see.
    public mutating func setCryptoAttributes(_ attributes: [SDPCryptoAttribute]) {
        let position = lines.firstIndex { $0.isAttribute(named: "crypto") }
        removeAttributes(named: "crypto")
        let newLines = attributes.map { SDPLine(type: "a", value: "crypto:" + $0.value) }
        lines.insert(contentsOf: newLines, at: position.map { Swift.min($0, lines.count) } ?? lines.count)
    }
}
