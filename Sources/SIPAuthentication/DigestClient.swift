/// Which challenge header a 401 or 407 carries, and which header answers it (RFC 3261 22.2-22.3).
public enum DigestChallengeKind: Sendable, Equatable, CustomStringConvertible {
    /// 401: `WWW-Authenticate` answered with `Authorization` (the far user agent or registrar).
    case server
    /// 407: `Proxy-Authenticate` answered with `Proxy-Authorization` (a proxy on the path).
    case proxy

    /// The kind a 401 or 407 asks for; nil for any other status.
    public init?(status: Int) {
        switch status {
        case 401: self = .server
        case 407: self = .proxy
        default: return nil
        }
    }

    public var challengeHeader: String { self == .server ? "WWW-Authenticate" : "Proxy-Authenticate" }
    public var authorizationHeader: String { self == .server ? "Authorization" : "Proxy-Authorization" }
    public var description: String { self == .server ? "401" : "407" }
}

/// How many times one request (and the retries it led to) has been answered: the retry rules
/// of ``DigestClient``. It travels with the request's transaction from retry to retry.
public struct DigestRetryState: Sendable, Equatable {
    /// Retries answering 401 (`WWW-Authenticate`).
    public var serverRetries: UInt8 = 0
    /// Retries answering 407 (`Proxy-Authenticate`).
    public var proxyRetries: UInt8 = 0
    /// Whether the one extra retry a `stale=true` challenge allows has been used.
    public var staleRetryUsed = false

    public init() {}

    /// Retries so far, of both kinds.
    public var total: Int { Int(serverRetries) + Int(proxyRetries) }
}

/// Why a 401 or 407 is not answered; the attempt fails with it (logs, CDR reason).
public enum DigestRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The destination trunk has no `auth` credentials.
    case noCredentials
    /// No `Digest` challenge (or none with realm and nonce) in the response.
    case noChallenge
    /// Digest challenges, but none for the realm the credentials are restricted to.
    case realmMismatch(offered: [String], configured: String)
    /// Only algorithms or qop values the SBC cannot compute (`SHA-512-256`, `auth-conf`, ...).
    case unsupported(algorithms: [String])
    /// The credentials were sent and the trunk challenged again without `stale=true` (or after
    /// the one stale retry): they are wrong, or the account is refused.
    case refusedAgain(realm: String)

    public var description: String {
        switch self {
        case .noCredentials: "no credentials configured for this trunk"
        case .noChallenge: "no Digest challenge with realm and nonce"
        case .realmMismatch(let offered, let configured):
            "realm \(offered.map { "\"\($0)\"" }.joined(separator: ", ")) is not the configured realm \"\(configured)\""
        case .unsupported(let algorithms):
            "no supported algorithm or qop offered (\(algorithms.joined(separator: ", ")))"
        case .refusedAgain(let realm): "credentials refused (realm \"\(realm)\")"
        }
    }
}

/// The SBC's side of Digest authentication towards one peer set: which challenge to answer,
/// whether a retry is allowed, and the nonce counts. Sans-IO: no clock, no randomness (the
/// caller passes the cnonce), no logging.
///
/// Retry rules: each challenged request is answered once per kind (a 407 from a proxy, then a
/// 401 from the far end, are two challenges); a challenge to a request that already carried
/// answers is refused unless it says `stale=true`, which allows one more retry with the new
/// nonce. Among several challenges the strongest supported algorithm wins (SHA-256 before MD5,
/// RFC 8760); credentials restricted to a realm answer only challenges for it.
public struct DigestClient: Sendable {
    /// Nonce count per (username, realm, nonce): a nonce answered again must carry a higher
    /// `nc`, or a server that checks replays refuses it (RFC 7616 3.4).
    private var nonceCounts: [String: UInt32] = [:]
    /// Bound on remembered nonces: servers issue a new nonce per challenge, so old ones are
    /// dropped wholesale rather than tracked for expiry.
    static let maxNonces = 1024

    public init() {}

    /// The chosen answer to a challenge.
    public struct Answer: Sendable, Equatable {
        public var kind: DigestChallengeKind
        public var authorization: DigestAuthorization
        /// The retry state the retried request carries.
        public var retries: DigestRetryState
        /// The challenge said `stale=true`.
        public var stale: Bool
    }

    /// Answers the challenges of a 401 or 407 to `method` on `uri`. `challengeValues` are the
    /// values of every `WWW-Authenticate` (401) or `Proxy-Authenticate` (407) header of the
    /// response; `retries` is what the challenged request carried.
    public mutating func answer(kind: DigestChallengeKind, challengeValues: [String], credentials: DigestCredentials?,
                                method: String, uri: String, body: [UInt8] = [], retries: DigestRetryState,
                                cnonce: String) -> Result<Answer, DigestRefusal>
    {
        guard let credentials else { return .failure(.noCredentials) }
        let digests = challengeValues.flatMap(DigestChallenge.parseList)
            .filter { $0.isDigest && $0.realm != nil && $0.nonce != nil }
        guard !digests.isEmpty else { return .failure(.noChallenge) }
        let forUs = digests.filter { credentials.answers(realm: $0.realm ?? "") }
        guard !forUs.isEmpty else {
            return .failure(.realmMismatch(offered: Self.unique(digests.compactMap(\.realm)),
                                           configured: credentials.realm ?? ""))
        }
        let answerable = forUs.filter { challenge in
            guard let algorithm = challenge.algorithm, let qop = DigestAuthorization.qop(for: challenge) else {
                return false
            }
            return !(algorithm.isSession && qop.isEmpty)
        }
        guard let chosen = answerable.min(by: { ($0.algorithm?.preference ?? 9) < ($1.algorithm?.preference ?? 9) })
        else {
            return .failure(.unsupported(algorithms: Self.unique(forUs.map { $0.algorithmToken ?? "MD5" })))
        }
        var next = retries
        let previous = kind == .server ? retries.serverRetries : retries.proxyRetries
        if previous > 0 {
            guard chosen.stale, !retries.staleRetryUsed else {
                return .failure(.refusedAgain(realm: chosen.realm ?? ""))
            }
            next.staleRetryUsed = true
        }
        if kind == .server { next.serverRetries = previous &+ 1 } else { next.proxyRetries = previous &+ 1 }
        let nc = nextNonceCount(username: credentials.username, realm: chosen.realm ?? "", nonce: chosen.nonce ?? "")
        guard let authorization = DigestAuthorization(challenge: chosen, credentials: credentials, method: method,
                                                      uri: uri, body: body, cnonce: cnonce, nonceCount: nc)
        else { return .failure(.unsupported(algorithms: [chosen.algorithmToken ?? "MD5"])) }
        return .success(Answer(kind: kind, authorization: authorization, retries: next, stale: chosen.stale))
    }

    /// Our own earlier answer (`authorizationValue`), computed again for a retried request with
    /// the same nonce and the next `nc` (and a new cnonce): the header answering one challenge
    /// kind when the request is retried for the other (a 407 answered, then a 401), so a server
    /// that checks nonce counts does not see a replay. Nil if the value is not one of ours.
    public mutating func reanswer(_ authorizationValue: String, credentials: DigestCredentials, method: String,
                                  uri: String, body: [UInt8] = [], cnonce: String) -> DigestAuthorization?
    {
        guard let previous = DigestChallenge.parseList(authorizationValue).first, previous.isDigest,
              let realm = previous.realm, let nonce = previous.nonce, credentials.answers(realm: realm)
        else { return nil }
        var challenge = DigestChallenge(scheme: "Digest", parameters: [("realm", realm), ("nonce", nonce)])
        for name in ["opaque", "algorithm", "qop", "userhash"] {
            if let value = previous[name] { challenge.parameters.append((name, value)) }
        }
        let nc = nextNonceCount(username: credentials.username, realm: realm, nonce: nonce)
        return DigestAuthorization(challenge: challenge, credentials: credentials, method: method, uri: uri, body: body,
                                   cnonce: cnonce, nonceCount: nc)
    }

    /// 1 for a nonce not answered before, one more each time it is answered again.
    mutating func nextNonceCount(username: String, realm: String, nonce: String) -> UInt32 {
        let key = "\(username)\u{0}\(realm)\u{0}\(nonce)"
        if nonceCounts[key] == nil, nonceCounts.count >= Self.maxNonces { nonceCounts.removeAll(keepingCapacity: true) }
        let count = (nonceCounts[key] ?? 0) &+ 1
        nonceCounts[key] = count
        return count
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen: [String] = []
        for value in values where !seen.contains(value) { seen.append(value) }
        return seen
    }
}
