import SDP
import Testing

/// Real-looking bodies as user agents send them, written with LF and turned into CRLF wire
/// bytes; expected outputs are compared as text so that a failure shows the whole body.
enum SDPFixtures {
    /// SIPp's default uac scenario.
    static let sipp = """
    v=0
    o=user1 53655765 2353687637 IN IP4 127.0.1.1
    s=-
    c=IN IP4 127.0.1.1
    t=0 0
    m=audio 6000 RTP/AVP 0
    a=rtpmap:0 PCMU/8000

    """

    /// Linphone behind NAT with ICE: session-level credentials, candidates, a=rtcp.
    static let linphoneICE = """
    v=0
    o=alice 2198 1469 IN IP4 192.168.1.20
    s=Talk
    c=IN IP4 203.0.113.7
    t=0 0
    a=ice-pwd:31ec21eb38b2ec6d36e8dc7b
    a=ice-ufrag:70e1b8b3
    a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
    m=audio 7078 RTP/AVP 96 97 0 8 18 101
    a=rtpmap:96 opus/48000/2
    a=fmtp:96 useinbandfec=1
    a=rtpmap:97 speex/16000
    a=fmtp:97 vbr=on
    a=fmtp:18 annexb=yes
    a=rtpmap:101 telephone-event/8000
    a=rtcp:7079
    a=candidate:1 1 UDP 2130706431 192.168.1.20 7078 typ host
    a=candidate:1 2 UDP 2130706430 192.168.1.20 7079 typ host
    a=candidate:2 1 UDP 1694498815 203.0.113.7 7078 typ srflx raddr 192.168.1.20 rport 7078
    a=candidate:2 2 UDP 1694498814 203.0.113.7 7079 typ srflx raddr 192.168.1.20 rport 7079
    a=rtcp-fb:* trr-int 1000
    a=rtcp-fb:96 nack

    """

    /// A browser offer: DTLS-SRTP, rtcp-mux, trickle ICE, BUNDLE, media-level c=.
    static let webRTC = """
    v=0
    o=- 4611731400430051336 2 IN IP4 127.0.0.1
    s=-
    t=0 0
    a=group:BUNDLE 0
    a=msid-semantic: WMS stream1
    m=audio 54321 UDP/TLS/RTP/SAVPF 111 9 0 8 13 110
    c=IN IP4 198.51.100.10
    a=rtcp:9 IN IP4 0.0.0.0
    a=candidate:842163049 1 udp 1677729535 198.51.100.10 54321 typ srflx raddr 10.0.0.5 rport 54321 generation 0
    a=ice-ufrag:EsAw
    a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
    a=ice-options:trickle
    a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
    a=setup:actpass
    a=mid:0
    a=sendrecv
    a=rtcp-mux
    a=rtpmap:111 opus/48000/2
    a=rtcp-fb:111 transport-cc
    a=fmtp:111 minptime=10;useinbandfec=1
    a=rtpmap:9 G722/8000
    a=rtpmap:0 PCMU/8000
    a=rtpmap:8 PCMA/8000
    a=rtpmap:13 CN/8000
    a=rtpmap:110 telephone-event/48000
    a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6
    a=end-of-candidates

    """

    /// A re-INVITE switching to T.38 fax.
    static let t38 = """
    v=0
    o=- 1 2 IN IP4 192.0.2.50
    s=-
    c=IN IP4 192.0.2.50
    t=0 0
    m=image 40000 udptl t38
    a=T38FaxVersion:0
    a=T38MaxBitRate:14400
    a=T38FaxRateManagement:transferredTCF
    a=T38FaxMaxDatagram:320
    a=T38FaxUdpEC:t38UDPRedundancy

    """

    /// An old-style hold: c=0.0.0.0 and a=sendonly.
    static let hold = """
    v=0
    o=bob 2890844527 2890844528 IN IP4 198.51.100.20
    s=-
    c=IN IP4 0.0.0.0
    t=0 0
    m=audio 49172 RTP/AVP 8 101
    a=rtpmap:8 PCMA/8000
    a=rtpmap:101 telephone-event/8000
    a=fmtp:101 0-15
    a=sendonly

    """

    /// A carrier offer with bare static payload types (no rtpmap) and audio plus video.
    static let carrierAudioVideo = """
    v=0
    o=carrier 1000 1000 IN IP4 203.0.113.80
    s=SBC
    c=IN IP4 203.0.113.80
    t=0 0
    m=audio 20000 RTP/AVP 18 0 8 3 101
    a=fmtp:18 annexb=no
    a=rtpmap:101 telephone-event/8000
    a=fmtp:101 0-16
    a=ptime:20
    m=video 20002 RTP/AVP 34
    a=rtpmap:34 H263/90000

    """

    /// Wire bytes of an LF-written fixture: every line ends in CRLF.
    static func wire(_ text: String) -> [UInt8] {
        Array(crlf(text).utf8)
    }

    static func crlf(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast(text.hasSuffix("\n") ? 1 : 0)
            .map { $0 + "\r\n" }
            .joined()
    }

    static func parse(_ text: String) throws -> SessionDescription {
        try SessionDescription(parsing: wire(text))
    }

    static func text(_ description: SessionDescription) -> String {
        String(decoding: description.serialized(), as: UTF8.self)
    }

    static let all: [(String, String)] = [
        ("sipp", sipp), ("linphoneICE", linphoneICE), ("webRTC", webRTC), ("t38", t38), ("hold", hold),
        ("carrierAudioVideo", carrierAudioVideo),
    ]
}
