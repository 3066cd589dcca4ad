/// A header rewrite profile (an entry of the YAML list `profiles`): what the SBC changes in a
/// request before it goes to a carrier (a trunk's `profile`, a route's `profile`) or after it
/// arrives from one (a trunk's `inbound_profile`).
///
/// Why profiles: the field guides' "SIP Profile Overrides" and "Custom Headers". Carriers differ in
/// what they accept: one wants `X-Provider: primary`, the next rejects it; one wants E.164 with
/// `+`, another national numbers; one requires a P-Asserted-Identity in its own domain. When a call
/// fails over it must be re-written for the carrier it now goes to, or the secondary answers 403
/// or 488 (the guides' Edge Case 2). A named profile is written once and referenced by trunks.
///
/// `SIPProfiles.HeaderRewriteProfile` applies one, in this order (each step sees the previous
/// one's result):
/// 1. ``headerPolicy``: remove what may not reach the carrier;
/// 2. ``headerOperations``, in the order written;
/// 3. ``pAssertedIdentity`` and ``privacy`` insertion;
/// 4. ``numbers``: user-part rewriting (so an inserted P-Asserted-Identity is normalised too);
/// 5. ``displayNames`` (likewise applied to an inserted P-Asserted-Identity).
/// Variables (`${from.user}`, ...) always take the values of the call as received, never the
/// values an earlier step rewrote, so the result does not depend on the order of steps.
///
/// The headers SIP itself needs (``protectedHeaders``) are never removed by a policy or a glob and
/// cannot be named by a header operation: the B2BUA builds them per leg, and a profile that broke
/// them would break the call, not just annoy the carrier.
public struct ProfileSettings: Sendable, Equatable {
    /// Which headers may reach the carrier (key `header_policy`).
    public struct HeaderPolicy: Sendable, Equatable {
        /// How ``headers`` is read.
        public enum Mode: String, Sendable, Equatable, CaseIterable {
            /// Remove the listed headers, keep everything else (the default).
            case denylist
            /// Keep only the listed headers and the ``ProfileSettings/protectedHeaders``; remove
            /// everything else. For carriers that reject what they do not know.
            case allowlist
        }

        /// `mode` (default `denylist`).
        public var mode: Mode
        /// Header names or globs (`X-Internal-*`: `*` matches any run of characters), compared
        /// case-insensitively with the header's full name (compact forms are expanded first).
        public var headers: [String]

        /// Creates a policy; the default removes nothing.
        public init(mode: Mode = .denylist, headers: [String] = []) {
            self.mode = mode
            self.headers = headers
        }
    }

    /// Display names to set (key `display_name`). Each is a template (variables allowed); the text
    /// is written as a quoted-string, with `"` and `\` escaped. An empty text removes the display
    /// name.
    public struct DisplayNames: Sendable, Equatable {
        /// Display name of the From header (key `from`).
        public var from: String?
        /// Display name of every P-Asserted-Identity (key `p_asserted_identity`).
        public var pAssertedIdentity: String?

        /// Creates display-name settings; both default to absent (unchanged).
        public init(from: String? = nil, pAssertedIdentity: String? = nil) {
            self.from = from
            self.pAssertedIdentity = pAssertedIdentity
        }
    }

    /// Unique profile name (key `name`, required), referenced by `trunks[].profile`,
    /// `trunks[].inbound_profile` and `routes[].profile`.
    public var name: String
    /// Which headers may pass (key `header_policy`, default: denylist of nothing).
    public var headerPolicy: HeaderPolicy
    /// Header operations in order (key `headers`, default none).
    public var headerOperations: [HeaderOperation]
    /// User-part rewriting of Request-URI, From, To and P-Asserted-Identity (key `numbers`).
    public var numbers: NumberRewrites
    /// Display names (key `display_name`).
    public var displayNames: DisplayNames
    /// P-Asserted-Identity to insert, replacing any already there (key `p_asserted_identity`,
    /// optional): a template that must render to a name-addr such as
    /// `<sip:${from.user}@carrier-b.example>`; checked at load with sample values.
    public var pAssertedIdentity: String?
    /// Privacy header to insert, replacing any already there (key `privacy`, optional): RFC 3323/
    /// 3325 values `none`, `header`, `session`, `user`, `id`, `critical`, several joined by `;`
    /// (`header;id`). `id` asks the carrier to withhold the asserted identity from the callee.
    public var privacy: String?

    /// Creates a profile that changes nothing; set the properties to make it do something.
    public init(name: String, headerPolicy: HeaderPolicy = HeaderPolicy(), headerOperations: [HeaderOperation] = [],
                numbers: NumberRewrites = NumberRewrites(), displayNames: DisplayNames = DisplayNames(),
                pAssertedIdentity: String? = nil, privacy: String? = nil) {
        self.name = name
        self.headerPolicy = headerPolicy
        self.headerOperations = headerOperations
        self.numbers = numbers
        self.displayNames = displayNames
        self.pAssertedIdentity = pAssertedIdentity
        self.privacy = privacy
    }

    /// Headers a profile never removes and whose names header operations may not use, in
    /// lower case: Via, From, To, Call-ID, CSeq, Contact, Max-Forwards, Content-Length,
    /// Content-Type, Route, Record-Route, Require, Supported, Allow. They carry the dialog, the
    /// path, the body's framing and the negotiated extensions. From and To are changed only through
    /// ``numbers`` and ``displayNames``, which keep them well-formed and keep their tags.
    public static let protectedHeaders: Set<String> = [
        "via", "from", "to", "call-id", "cseq", "contact", "max-forwards", "content-length", "content-type",
        "route", "record-route", "require", "supported", "allow",
    ]

    /// The Privacy values of RFC 3323 and RFC 3325.
    public static let privacyValues = ["none", "header", "session", "user", "id", "critical"]

    /// The long lower-case form of a header name: the compact forms RFC 3261 and later RFCs define
    /// (`f`, `t`, `v`, `i`, `m`, `l`, `c`, `k`, ...) are expanded, so `f` is protected as `from`.
    public static func canonicalHeaderName(_ name: String) -> String {
        let lower = name.lowercased()
        return compactForms[lower] ?? lower
    }

    private static let compactForms: [String: String] = [
        "i": "call-id", "m": "contact", "f": "from", "t": "to", "v": "via", "l": "content-length",
        "c": "content-type", "e": "content-encoding", "k": "supported", "s": "subject", "o": "event",
        "r": "refer-to", "b": "referred-by", "u": "allow-events", "x": "session-expires", "y": "identity",
        "a": "accept-contact", "j": "reject-contact", "d": "request-disposition",
    ]
}
