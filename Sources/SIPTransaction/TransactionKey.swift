import SIPCore

/// Identifies a transaction, on either side, by the matching rules of RFC 3261 17.1.3 and
/// 17.2.3.
///
/// Client and server keys never compare equal (the `role` differs), so one table can hold both
/// even when a request loops back through the SBC with the branch it was sent with. ACK is
/// folded into INVITE because an ACK for a non-2xx final belongs to the INVITE's transaction;
/// CANCEL keeps its own method and so is a transaction of its own, which
/// `inviteServer(matching:)` relates to the INVITE it targets.
public struct TransactionKey: Sendable, Hashable, CustomStringConvertible {
    public enum Role: String, Sendable, Hashable {
        case client
        case server
    }

    /// Shared, immutable storage: a key is copied into the table, the timer heap and every event,
    /// so a copy is one retain, and its hash is computed once instead of per lookup.
    private final class Storage: Sendable {
        let role: Role
        let method: SIPMethod
        let branch: String
        let sentBy: String
        let isRFC2543: Bool
        let hash: Int

        init(role: Role, method: SIPMethod, branch: String, sentBy: String, isRFC2543: Bool) {
            self.role = role
            self.method = method
            self.branch = branch
            self.sentBy = sentBy
            self.isRFC2543 = isRFC2543
            var hasher = Hasher()
            hasher.combine(role)
            hasher.combine(method)
            hasher.combine(branch)
            hasher.combine(sentBy)
            hasher.combine(isRFC2543)
            hash = hasher.finalize()
        }
    }

    private let storage: Storage

    public var role: Role { storage.role }
    /// CSeq / request method, with ACK mapped to INVITE.
    public var method: SIPMethod { storage.method }
    /// The top Via branch for RFC 3261 keys; for RFC 2543 keys, the identity built from the
    /// request's fields (see `server(for:)`).
    public var branch: String { storage.branch }
    /// Lower-cased sent-by of the top Via for server keys (two clients may pick the same branch,
    /// RFC 3261 17.2.3), empty for client keys, whose branch we generated ourselves.
    public var sentBy: String { storage.sentBy }
    /// True when the request's branch lacked the magic cookie and the key was derived from the
    /// RFC 2543 fields.
    public var isRFC2543: Bool { storage.isRFC2543 }

    init(role: Role, method: SIPMethod, branch: String, sentBy: String, isRFC2543: Bool = false) {
        storage = Storage(role: role, method: method == .ack ? .invite : method, branch: branch, sentBy: sentBy,
                          isRFC2543: isRFC2543)
    }

    public static func == (lhs: TransactionKey, rhs: TransactionKey) -> Bool {
        let a = lhs.storage
        let b = rhs.storage
        return a === b || (a.hash == b.hash && a.role == b.role && a.method == b.method && a.branch == b.branch
            && a.sentBy == b.sentBy && a.isRFC2543 == b.isRFC2543)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.hash)
    }

    public var description: String {
        let origin = sentBy.isEmpty ? "" : "@\(sentBy)"
        return "\(role) \(method) \(isRFC2543 ? "rfc2543:" : "")\(branch)\(origin)"
    }

    // MARK: Server side (RFC 3261 17.2.3)

    /// The server transaction a received request belongs to.
    ///
    /// With a magic-cookie branch: branch, sent-by and method (ACK as INVITE). Otherwise the
    /// RFC 2543 fallback: Request-URI, Call-ID, From tag, To tag, CSeq number and the whole top
    /// Via. The To tag is left out for INVITE (and so for ACK and for a CANCEL's target): the
    /// ACK of an initial INVITE carries the tag of our response, which the INVITE did not have,
    /// and RFC 3261 17.2.3 matches that ACK on everything else.
    public static func server(for request: SIPMessage) -> TransactionKey? {
        guard let method = request.method else { return nil }
        return server(for: request, as: method)
    }

    /// The INVITE server transaction a CANCEL targets (RFC 3261 9.2): a CANCEL copies the
    /// INVITE's top Via (so its branch) and its Request-URI, Call-ID, From, To and CSeq number,
    /// so the INVITE's key is the CANCEL's key computed as if its method were INVITE.
    public static func inviteServer(matching cancel: SIPMessage) -> TransactionKey? {
        guard cancel.method == .cancel else { return nil }
        return server(for: cancel, as: .invite)
    }

    private static func server(for request: SIPMessage, as method: SIPMethod) -> TransactionKey? {
        guard let via = request.topVia, let cseq = request.cseq else { return nil }
        let sentBy = via.sentBy.lowercased()
        if let branch = via.branch, branch.hasPrefix(SIPVia.magicCookie) {
            return TransactionKey(role: .server, method: method, branch: branch, sentBy: sentBy)
        }
        guard let callID = request.callID, let uri = request.requestURIText else { return nil }
        let keyMethod = method == .ack ? SIPMethod.invite : method
        let toTag = keyMethod == .invite ? "" : (request.to?.tag ?? "")
        // Unit separator: cannot occur in any of the parsed fields, so the join is unambiguous.
        let identity = [uri, callID, request.from?.tag ?? "", toTag, String(cseq.number), via.description]
            .joined(separator: "\u{1F}")
        return TransactionKey(role: .server, method: keyMethod, branch: identity, sentBy: sentBy, isRFC2543: true)
    }

    // MARK: Client side (RFC 3261 17.1.3)

    /// The client transaction key of a message: top Via branch and CSeq method.
    ///
    /// One function serves both directions (the specified `client(for response:)` and
    /// `client(for request:)` would be the same Swift signature): for a response received, the
    /// transaction it belongs to (RFC 3261 17.1.3); for a request we are about to send, the key
    /// its client transaction will have. A request's CSeq method equals its method (the parser
    /// enforces it), so both sides agree. sent-by is not compared: the branch is ours, and the
    /// Via may come back rewritten with received/rport.
    public static func client(for message: SIPMessage) -> TransactionKey? {
        guard let branch = message.topViaBranch, let cseq = message.cseq else { return nil }
        return TransactionKey(role: .client, method: message.method ?? cseq.method, branch: branch, sentBy: "")
    }
}
