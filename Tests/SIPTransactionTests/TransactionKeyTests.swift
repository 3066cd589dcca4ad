// RFC 3261 17.1.3 / 17.2.3 matching, including the RFC 2543 fallback.

import SIPCore
import Testing
@testable import SIPTransaction

@Suite("Transaction keys")
struct TransactionKeyTests {
    @Test("Server key: branch + sent-by + method, ACK folded into INVITE")
    func serverKey() throws {
        let key = try #require(TransactionKey.server(for: invite(branch: "z9hG4bK-1")))
        #expect(key.role == .server)
        #expect(key.method == .invite)
        #expect(key.branch == "z9hG4bK-1")
        #expect(key.sentBy == "10.0.0.1:5060")
        #expect(!key.isRFC2543)
        #expect(TransactionKey.server(for: ackForNon2xx(of: invite(branch: "z9hG4bK-1"))) == key)
        // Same branch from another sender, or another method: another transaction.
        #expect(TransactionKey.server(for: request("INVITE", branch: "z9hG4bK-1", sentBy: "10.0.0.2:5060")) != key)
        #expect(TransactionKey.server(for: request("CANCEL", branch: "z9hG4bK-1"))?.method == .cancel)
        #expect(TransactionKey.server(for: request("CANCEL", branch: "z9hG4bK-1")) != key)
        // sent-by hosts compare case-insensitively.
        let upper = request("INVITE", branch: "z9hG4bK-1", sentBy: "PBX.Example.COM:5060")
        let lower = request("INVITE", branch: "z9hG4bK-1", sentBy: "pbx.example.com:5060")
        #expect(TransactionKey.server(for: upper) == TransactionKey.server(for: lower))
        #expect(key.description == "server INVITE z9hG4bK-1@10.0.0.1:5060")
    }

    @Test("Client key: the request we send and the response it gets agree; never equal to a server key")
    func clientKey() throws {
        let options = request("OPTIONS", branch: "z9hG4bK-ours")
        let sent = try #require(TransactionKey.client(for: options))
        var answer = response(to: options, 200)
        // The next hop adds received/rport: sent-by is not part of a client key.
        answer.set(.via, "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-ours;received=192.0.2.7;rport=40000")
        #expect(TransactionKey.client(for: answer) == sent)
        #expect(sent.role == .client)
        #expect(sent.sentBy.isEmpty)
        #expect(TransactionKey.server(for: options) != sent)
        // A response to a CANCEL with the INVITE's branch is the CANCEL's.
        let cancelAnswer = response(to: request("CANCEL", branch: "z9hG4bK-ours"), 200)
        #expect(TransactionKey.client(for: cancelAnswer)?.method == .cancel)
    }

    @Test("Messages without a Via cannot be keyed")
    func unkeyable() {
        let bare = SIPMessage(startLine: .request(method: .options, uri: "sip:x@example.com"),
                              headers: [SIPHeaderField(.cseq, "1 OPTIONS"), SIPHeaderField(.callID, "c")])
        #expect(TransactionKey.server(for: bare) == nil)
        #expect(TransactionKey.client(for: bare) == nil)
        var manager = Manager()
        #expect(manager.receiveRequest(bare, reliable: false, context: "x", now: .zero) == .retransmission([]))
        #expect(manager.startClient(bare, reliable: false, context: "x", now: .zero).isEmpty)
        #expect(manager.count == 0)
    }

    @Test("RFC 2543 fallback: INVITE, its retransmission and its non-2xx ACK share a key")
    func rfc2543Invite() throws {
        let old = invite(branch: "old-style-1")
        let key = try #require(TransactionKey.server(for: old))
        #expect(key.isRFC2543)
        #expect(key.method == .invite)
        #expect(TransactionKey.server(for: invite(branch: "old-style-1")) == key)
        // The ACK carries our To tag, which the INVITE did not: still the same transaction.
        #expect(TransactionKey.server(for: ackForNon2xx(of: old, toTag: "our-tag")) == key)
        // Any of the RFC 2543 identity fields differing makes another transaction.
        #expect(TransactionKey.server(for: invite(branch: "old-style-1", cseq: 2)) != key)
        #expect(TransactionKey.server(for: request("INVITE", branch: "old-style-1", uri: "sip:carol@example.com")) != key)
        #expect(TransactionKey.server(for: request("INVITE", branch: "old-style-1", callID: "other")) != key)
        #expect(TransactionKey.server(for: request("INVITE", branch: "old-style-1", fromTag: "x")) != key)
        #expect(TransactionKey.server(for: request("INVITE", branch: "old-style-2")) != key)
        #expect(TransactionKey.server(for: request("INVITE", branch: "old-style-1", sentBy: "10.0.0.1:5070")) != key)
    }

    @Test("RFC 2543 fallback: a Via without any branch; non-INVITE keys include the To tag")
    func rfc2543NonInvite() throws {
        let withoutBranch = sip("""
        BYE sip:bob@10.0.0.2 SIP/2.0
        Via: SIP/2.0/UDP 10.0.0.1:5060
        From: <sip:alice@example.com>;tag=a
        To: <sip:bob@example.com>;tag=b
        Call-ID: legacy-1
        CSeq: 2 BYE
        Content-Length: 0


        """)
        let key = try #require(TransactionKey.server(for: withoutBranch))
        #expect(key.isRFC2543)
        #expect(key.method == .bye)
        var otherTo = withoutBranch
        otherTo.set(.to, "<sip:bob@example.com>;tag=c")
        #expect(TransactionKey.server(for: otherTo) != key)
        #expect(TransactionKey.server(for: withoutBranch) == key)
    }

    @Test("RFC 2543 CANCEL finds its INVITE")
    func rfc2543Cancel() throws {
        let old = invite(branch: "legacy-branch")
        let cancel = request("CANCEL", branch: "legacy-branch")
        let inviteKey = try #require(TransactionKey.server(for: old))
        #expect(TransactionKey.inviteServer(matching: cancel) == inviteKey)
        #expect(TransactionKey.server(for: cancel) != inviteKey)
    }

    @Test("RFC 2543 server INVITE through the manager: retransmission, ACK absorbed")
    func rfc2543ThroughManager() throws {
        var manager = Manager()
        let old = invite(branch: "legacy-branch")
        guard case .newTransaction(let key) = manager.receiveRequest(old, reliable: false, context: "u", now: .zero)
        else { Issue.record("expected a new transaction"); return }
        let busy = response(to: old, 486, toTag: "srv")
        _ = manager.respond(key, with: busy, now: .zero)
        #expect(manager.receiveRequest(old, reliable: false, context: "u", now: s(0.1))
            == .retransmission([.send(busy, "u")]))
        #expect(manager.receiveRequest(ackForNon2xx(of: old, toTag: "srv"), reliable: false, context: "u",
                                       now: s(0.2)) == .ackAbsorbed)
    }
}
