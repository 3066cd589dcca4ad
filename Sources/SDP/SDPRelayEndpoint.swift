/// Where the SBC wants a peer to send one stream: an address and port pair of the media relay
/// on the side facing that peer.
public struct SDPRelayEndpoint: Sendable, Equatable {
    public var address: String
    /// "IP4" or "IP6".
    public var addressType: String
    public var rtpPort: Int
    /// The relay's RTCP port, written as `a=rtcp`; nil when RTCP is multiplexed on the RTP port
    /// (rtcp-mux) or implied as RTP + 1.
    public var rtcpPort: Int?

    public init(address: String, addressType: String, rtpPort: Int, rtcpPort: Int? = nil) {
        self.address = address
        self.addressType = addressType
        self.rtpPort = rtpPort
        self.rtcpPort = rtcpPort
    }

    /// The c= (and a=rtcp) connection naming this endpoint.
    public var connection: SDPConnection {
        SDPConnection(addressType: addressType, address: address)
    }
}
