import Logging
import SIPCore

/// Wraps the process's log handler so that no line carries a credential (`SIPLogRedaction.scrub`
/// on the message and every metadata value), whichever code logged it and at whatever level.
///
/// Why a handler and not care at each call site: a credential reaches logs through values nobody
/// thought of as secret (an error describing a header, a profile's rewritten value, a config
/// problem quoting a line); one filter at the end catches them all.
public struct RedactingLogHandler<Wrapped: LogHandler>: LogHandler {
    private var wrapped: Wrapped

    public init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue.mapValues(Self.scrub) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(Self.scrub) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: SIPLogRedaction.scrub(event.message.description))
        event.metadata = event.metadata?.mapValues(Self.scrub)
        wrapped.log(event: event)
    }

    static func scrub(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(SIPLogRedaction.scrub(text))
        case .stringConvertible(let convertible): .string(SIPLogRedaction.scrub(convertible.description))
        case .array(let values): .array(values.map(scrub))
        case .dictionary(let values): .dictionary(values.mapValues(scrub))
        }
    }
}
