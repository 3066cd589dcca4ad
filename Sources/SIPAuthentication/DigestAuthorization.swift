/// The `Authorization` / `Proxy-Authorization` value answering one Digest challenge
/// (RFC 2617 3.2.2, RFC 7616 3.4, RFC 3261 22.4, RFC 8760).
///
/// A pure computation: the caller supplies the cnonce and the nonce count, so tests can check the
/// RFC examples byte for byte.
public struct DigestAuthorization: Sendable, Equatable {
    public var username: String
    public var realm: String
    public var nonce: String
    /// The digest-uri: the Request-URI of the request, exactly as sent.
    public var uri: String
    public var algorithm: DigestAlgorithm
    /// `auth` or `auth-int`; nil for a legacy challenge without qop (RFC 2069 compatibility).
    public var qop: String?
    /// Sent with qop only.
    public var cnonce: String?
    public var nonceCount: UInt32
    public var opaque: String?
    /// RFC 7616 3.4.4: the username is sent as H(username:realm).
    public var userhash: Bool
    /// Whether to write `algorithm=` (always, except for a legacy challenge that named none).
    public var writesAlgorithm: Bool
    /// The request digest (lower-case hex).
    public var response: String

    /// Answers `challenge` for `method` on `uri` with `credentials`. `body` is the request's
    /// body (hashed for qop `auth-int` only). Nil when the challenge lacks realm or nonce, names
    /// an algorithm or only qop values the SBC cannot answer, or asks for a `-sess` algorithm
    /// without qop (no cnonce to hash).
    public init?(challenge: DigestChallenge, credentials: DigestCredentials, method: String, uri: String,
                 body: [UInt8] = [], cnonce: String, nonceCount: UInt32)
    {
        guard challenge.isDigest, let realm = challenge.realm, let nonce = challenge.nonce,
              let algorithm = challenge.algorithm, let qop = Self.qop(for: challenge)
        else { return nil }
        let chosenQop = qop.isEmpty ? nil : qop
        if algorithm.isSession && chosenQop == nil { return nil }
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.algorithm = algorithm
        self.qop = chosenQop
        self.cnonce = chosenQop == nil ? nil : cnonce
        self.nonceCount = nonceCount
        self.opaque = challenge.opaque
        self.userhash = challenge.userhash
        self.writesAlgorithm = challenge.algorithmToken != nil || algorithm != .md5 || chosenQop != nil
        self.username = userhash ? algorithm.hex("\(credentials.username):\(realm)") : credentials.username
        self.response = Self.response(algorithm: algorithm, username: credentials.username,
                                      password: credentials.password, realm: realm, nonce: nonce, uri: uri,
                                      method: method, qop: chosenQop, cnonce: cnonce, nonceCount: nonceCount,
                                      body: body)
    }

    /// The qop to answer with: `auth` when offered, else `auth-int`; "" for no qop at all; nil
    /// when only unknown qop values are offered.
    static func qop(for challenge: DigestChallenge) -> String? {
        let offered = challenge.qopOptions
        if challenge["qop"] == nil { return "" }
        if offered.contains("auth") { return "auth" }
        if offered.contains("auth-int") { return "auth-int" }
        return nil
    }

    /// `nc` as eight hex digits.
    public var nonceCountText: String {
        let hex = String(nonceCount, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// RFC 7616 3.4.1: response = KD(H(A1), nonce:nc:cnonce:qop:H(A2)), or without qop
    /// KD(H(A1), nonce:H(A2)); A1 = user:realm:password (`-sess`: H(that):nonce:cnonce); A2 =
    /// method:uri (`auth-int`: method:uri:H(body)).
    public static func response(algorithm: DigestAlgorithm, username: String, password: String, realm: String,
                                nonce: String, uri: String, method: String, qop: String?, cnonce: String,
                                nonceCount: UInt32, body: [UInt8] = []) -> String
    {
        var ha1 = algorithm.hex("\(username):\(realm):\(password)")
        if algorithm.isSession { ha1 = algorithm.hex("\(ha1):\(nonce):\(cnonce)") }
        let ha2 = qop == "auth-int" ? algorithm.hex("\(method):\(uri):\(algorithm.hex(body))")
            : algorithm.hex("\(method):\(uri)")
        guard let qop else { return algorithm.hex("\(ha1):\(nonce):\(ha2)") }
        let nc = String(nonceCount, radix: 16)
        let ncText = String(repeating: "0", count: max(0, 8 - nc.count)) + nc
        return algorithm.hex("\(ha1):\(nonce):\(ncText):\(cnonce):\(qop):\(ha2)")
    }

    /// The header value, parameters in RFC 3261's usual order; quoted strings where the grammar
    /// wants them (username, realm, nonce, uri, response, cnonce, opaque), tokens for algorithm,
    /// qop and nc.
    public var headerValue: String {
        var parts = [
            "username=\(Self.quoted(username))", "realm=\(Self.quoted(realm))", "nonce=\(Self.quoted(nonce))",
            "uri=\(Self.quoted(uri))", "response=\(Self.quoted(response))",
        ]
        if writesAlgorithm { parts.append("algorithm=\(algorithm.rawValue)") }
        if let qop, let cnonce {
            parts.append("cnonce=\(Self.quoted(cnonce))")
            parts.append("qop=\(qop)")
            parts.append("nc=\(nonceCountText)")
        }
        if let opaque { parts.append("opaque=\(Self.quoted(opaque))") }
        if userhash { parts.append("userhash=true") }
        return "Digest " + parts.joined(separator: ", ")
    }

    /// A quoted-string: `"` and `\` escaped (RFC 3261 25.1).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }
}
