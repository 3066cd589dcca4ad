import SIPCore

/// The `sip` keys of clean forwarding (docs/SIP.md "What the SBC forwards"): header limits
/// checked at the edge on every request and every copied field, and the largest B-leg INVITE
/// sent over UDP.
extension SIPSettings {
    static let forwardingKeys = ["max_header_length", "max_headers", "max_udp_message_bytes"]

    static let maxHeaderLengthRange = 256...65_535
    static let maxHeadersRange = 16...1024
    static let maxUDPMessageBytesRange = 576...65_507

    /// RFC 3261 18.1.1: with the path MTU unknown, a request over 1300 bytes must not go over UDP.
    public static let defaultMaxUDPMessageBytes = 1300

    static func readForwarding(_ reader: MappingReader, into settings: inout SIPSettings) {
        settings.headerLimits.maxHeaderLength = reader.integer("max_header_length", in: maxHeaderLengthRange, unit: "bytes")
            ?? settings.headerLimits.maxHeaderLength
        settings.headerLimits.maxHeaders = reader.integer("max_headers", in: maxHeadersRange)
            ?? settings.headerLimits.maxHeaders
        settings.maxUDPMessageBytes = reader.integer("max_udp_message_bytes", in: maxUDPMessageBytesRange, unit: "bytes")
            ?? settings.maxUDPMessageBytes
    }
}
