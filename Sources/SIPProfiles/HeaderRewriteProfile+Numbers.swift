import SBCConfig
import SIPCore

/// Number rewriting: the user parts of the Request-URI, From, To and every P-Asserted-Identity.
///
/// Why URIs are re-serialised only when their user part changes: a header the profile does not
/// need to change must go out byte for byte as it came, since carriers compare some of them
/// (From tags, PAI) literally. A changed URI is written by SIPCore (`SIPNameAddress.description`),
/// in name-addr form, and must parse back with `SIPURI(parsing:)` with the new user part intact,
/// or the profile throws.
extension HeaderRewriteProfile {
    func rewriteNumbers(in message: inout SIPMessage,
                        variables: (ProfileTemplate.Variable) -> String) throws(ProfileError) {
        if let rewrite = numbers.requestURI, message.isRequest, let text = message.requestURIText {
            guard let uri = SIPURI(parsing: text) else {
                throw error("Request-URI", "\(quoted(text)) is not a URI whose number can be rewritten")
            }
            if let rewritten = try rewriteUser(of: uri, with: rewrite, label: "Request-URI", variables: variables) {
                message.requestURI = rewritten
            }
        }
        if let rewrite = numbers.from {
            try rewriteAddresses(in: &message, .from, label: "From", list: false) { address throws(ProfileError) in
                if let uri = try rewriteUser(of: address.uri, with: rewrite, label: "From", variables: variables) {
                    address.uri = uri
                }
            }
        }
        if let rewrite = numbers.to {
            try rewriteAddresses(in: &message, .to, label: "To", list: false) { address throws(ProfileError) in
                if let uri = try rewriteUser(of: address.uri, with: rewrite, label: "To", variables: variables) {
                    address.uri = uri
                }
            }
        }
        if let rewrite = numbers.pAssertedIdentity {
            try rewriteAddresses(in: &message, Self.pAssertedIdentityName, label: "P-Asserted-Identity",
                                 list: true) { address throws(ProfileError) in
                if let uri = try rewriteUser(of: address.uri, with: rewrite, label: "P-Asserted-Identity",
                                             variables: variables) {
                    address.uri = uri
                }
            }
        }
    }

    /// The URI with its user part rewritten, nil when nothing changed (or it has no user part),
    /// and a throw when the result does not parse back.
    func rewriteUser(of uri: SIPURI, with rewrite: CompiledNumberRewrite, label: String,
                     variables: (ProfileTemplate.Variable) -> String) throws(ProfileError) -> SIPURI? {
        guard let user = uri.user, uri.opaque == nil else { return nil }
        let rewritten = rewrite.rewrite(user, variables: variables)
        guard rewritten != user else { return nil }
        var changed = uri
        changed.user = rewritten
        let text = changed.description
        guard let reparsed = SIPURI(parsing: text), reparsed.user == rewritten else {
            throw error(label, "rewriting the number \(quoted(user)) gives \(quoted(rewritten)), "
                + "which makes the URI \(quoted(text)) invalid")
        }
        return changed
    }

    /// Applies `change` to the address in the first field called `name` (or, with `list`, to every
    /// address of every such field), writing back only the fields that changed. Throws when a field
    /// does not parse, or the changed address does not parse back.
    func rewriteAddresses(in message: inout SIPMessage, _ name: SIPHeaderName, label: String, list: Bool,
                          _ change: (inout SIPNameAddress) throws(ProfileError) -> Void) throws(ProfileError) {
        for index in message.headers.indices where message.headers[index].name == name {
            let value = message.headers[index].value
            let parsed = list ? SIPNameAddress.parseList(value) : SIPNameAddress.parse(value).map { [$0] }
            guard let addresses = parsed else {
                throw error(label, "\(quoted(value)) is not a valid name-addr, so it cannot be rewritten")
            }
            var changed = addresses
            for position in changed.indices {
                try change(&changed[position])
            }
            if changed != addresses {
                let text = changed.map(\.description).joined(separator: ", ")
                let check = list ? SIPNameAddress.parseList(text) : SIPNameAddress.parse(text).map { [$0] }
                guard check != nil else {
                    throw error(label, "the rewritten value \(quoted(text)) does not parse")
                }
                message.headers[index].value = text
            }
            if !list { return }
        }
    }
}
