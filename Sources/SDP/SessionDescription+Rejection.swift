extension SessionDescription {
    /// An answer declining every stream of `offer` (RFC 3264 §6): one `m=` line per offered
    /// stream, port 0, the offer's formats, and nothing else. A UAC that must accept a 2xx whose
    /// offer it cannot use still owes an answer in the ACK (RFC 3261 13.2.2.4) before its BYE;
    /// copying the offer's attributes (crypto, fingerprints, `setup:actpass`, BUNDLE) would make
    /// that answer invalid for strict peers, and its addresses are the peer's own. Stamp `o=`
    /// with the leg's ``SDPOriginState`` before sending.
    public static func rejecting(_ offer: SessionDescription) -> SessionDescription {
        SessionDescription(
            origin: offer.origin, connection: .unspecified(addressType: offer.senderAddressType),
            sessionLines: [SDPLine(type: "s", value: "-"), SDPLine(type: "t", value: "0 0")],
            media: offer.media.map { MediaDescription(type: $0.type, port: 0, proto: $0.proto, formats: $0.formats) })
    }

    /// The address family the sender used (session `c=`, else the first media `c=`), for the
    /// placeholder address of a body whose every stream is rejected.
    var senderAddressType: String {
        connection?.addressType ?? media.lazy.compactMap(\.connection).first?.addressType ?? "IP4"
    }
}
