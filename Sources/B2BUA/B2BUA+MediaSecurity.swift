import SBCConfig
import SDP

/// SDES-SRTP termination per leg (RFC 4568): every SDP crossing the SBC is re-keyed for the leg
/// it goes to, so a key never crosses from one side to the other, and each trunk's `srtp`
/// policy decides the profile (RTP/AVP or RTP/SAVP) and suites on its own leg. The relay gets
/// each side's settled keys in the session spec; docs/MEDIA.md, "SRTP".
extension B2BUA {
    /// Re-keys the streams of `sdp` (already filtered by codec policy, not yet rewritten) from
    /// `origin` for the other leg, and records each side's part of the exchange in `media`.
    /// An offer prepares the SBC's answer to `origin` and makes the SBC's own offer to the target;
    /// an answer settles `origin`'s keys and gives the target the answer prepared for it.
    /// Returns why the body is refused (488), if it is.
    func secureStreams(_ sdp: inout SessionDescription, media: inout CallMedia, call: Call, from origin: LegSide,
                       offer: Bool) -> Refusal? {
        guard let settings = settings.media else { return nil }
        let target = origin.other
        let originName = call[origin].trunk.name, targetName = call[target].trunk.name
        let originPolicy = settings.security[originName] ?? .plain
        let targetPolicy = settings.security[targetName] ?? .plain
        var random = SystemRandomNumberGenerator()
        for index in sdp.media.indices where index < media.streams.count {
            var description = sdp.media[index]
            var stream = media.streams[index]
            var ours = stream.security[origin] ?? CallMedia.LegSecurity()
            var theirs = stream.security[target] ?? CallMedia.LegSecurity()
            if description.securityProfile == .dtls {
                // SDES cannot key DTLS-SRTP: relayed untouched only where both trunks allow it.
                for (name, policy) in [(originName, originPolicy), (targetName, targetPolicy)] where policy.dtls != .relay {
                    return Refusal(status: 488, reason: "Not Acceptable Here (DTLS-SRTP is refused by trunk \(name))")
                }
                continue
            }
            if offer {
                do throws(SDESRefusal) {
                    let answer = try originPolicy.sdes.answer(offer: description, previous: ours.settled, using: &random)
                    ours.pending = .answering(answer)
                } catch {
                    return Refusal(status: 488, reason: "Not Acceptable Here (\(error) on trunk \(originName))")
                }
                let ourOffer = targetPolicy.sdes.offer(proto: description.proto, previous: theirs.settled, using: &random)
                ourOffer.apply(to: &description)
                theirs.pending = .offered(ourOffer)
            } else {
                if case .offered(let sent) = ours.pending {
                    do throws(SDESRefusal) {
                        ours.settled = try originPolicy.sdes.accept(answer: description, to: sent).keys
                        ours.pending = nil
                    } catch {
                        return Refusal(status: 488, reason: "Not Acceptable Here (\(error) from trunk \(originName))")
                    }
                }
                if case .answering(let answer) = theirs.pending {
                    theirs.lastAnswer = answer
                    theirs.pending = nil
                }
                if let answer = theirs.lastAnswer {
                    answer.apply(to: &description)
                    theirs.settled = answer.security.keys
                } else {
                    // Nothing was negotiated with the target: its keys must not cross either.
                    description.setCryptoAttributes([])
                }
            }
            sdp.media[index] = description
            // A side with nothing negotiated or in flight (plain RTP) keeps no state: absent
            // means plain, and a plain call then holds no SRTP storage at all (issue 15).
            stream.security[origin] = ours.isEmpty ? nil : ours
            stream.security[target] = theirs.isEmpty ? nil : theirs
            media.streams[index] = stream
        }
        if targetPolicy.identity == .strip { SDPRelayRewriter.stripIdentity(&sdp) }
        return nil
    }

    /// The SBC's own re-INVITE to the caller offers the caller's current keys again: the
    /// caller's answer may keep or change its own, and must be checked like any answer.
    func offerCurrentKeys(of offer: SessionDescription, to call: Call) {
        guard var media = call.media else { return }
        for (index, description) in offer.media.enumerated() where index < media.streams.count {
            let crypto = description.cryptoAttributes.compactMap { try? $0.get() }
            guard !crypto.isEmpty else { continue }
            media.streams[index].security[.a, default: CallMedia.LegSecurity()].pending =
                .offered(SDESOffer(proto: description.proto, crypto: crypto))
        }
        call.media = media
    }
}
