import Logging
import SBCConfig

/// Installs the process-wide log handler from the `logging` config section (once, at start-up),
/// behind `RedactingLogHandler` so that no credential reaches a log line.
public enum LogSetup {
    public static func bootstrap(_ settings: LoggingSettings) {
        let level = Logger.Level(rawValue: settings.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            switch settings.format {
            case .json:
                return RedactingLogHandler(JSONLogHandler(label: label, level: level))
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return RedactingLogHandler(handler)
            }
        }
    }
}
