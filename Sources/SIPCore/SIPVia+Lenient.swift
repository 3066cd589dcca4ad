extension SIPVia {
    /// The top Via of a request that failed to parse, read only as far as routing a response
    /// needs: sent-by, transport and the parameters that are well formed.
    ///
    /// Why: RFC 4475 wants an answer to requests whose Via is itself the problem (badinv01:
    /// empty parameters and stray commas) or names another version (badvers: `SIP/7.0/UDP`), and
    /// RFC 3261 8.2 routes that answer by the top Via. Only the first value is read; a version
    /// other than 2.0 and empty parameters are tolerated, anything else still fails.
    public static func parseTopLeniently(_ value: String) -> SIPVia? {
        if let strict = parseList(value)?.first { return strict }
        let first = value.prefix { $0 != "," }
        let segments = first.split(separator: ";").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard let protocolAndHost = segments.first else { return nil }
        let slashes = protocolAndHost.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard slashes.count == 3, slashes[0].trimmingWhitespace().uppercased() == "SIP" else { return nil }
        let normalised = "SIP/2.0/" + slashes[2]
        let parameters = segments.dropFirst().map { ";" + $0 }.joined()
        return parseList(normalised + parameters)?.first ?? parseList(normalised)?.first
    }
}
