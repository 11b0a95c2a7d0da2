import Foundation
import Timekeeping

/// Severity of a log event, lowest first.
package enum LogLevel: String, Sendable, Equatable, CaseIterable, Comparable {
    case debug, info, notice, warning, error

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .notice: 2
        case .warning: 3
        case .error: 4
        }
    }

    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}

/// One line of text per event, or one JSON object per line.
package enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case text, json
}

/// A metadata value. A `Secret` logs as `********`, and string interpolation of a `Secret` does too.
package enum LogValue: Sendable, Equatable, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral
{
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case secret(Secret)

    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(booleanLiteral value: Bool) { self = .boolean(value) }
    package init<T: BinaryInteger>(_ value: T) { self = .integer(Int64(clamping: value)) }
}

/// One event as a `Logger.events` handler receives it, before any formatting.
package struct LogEvent: Sendable, Equatable {
    package var level: LogLevel
    package var message: String
    /// The logger's metadata merged with the event's (`sink`, `binlog.pos` ...).
    package var metadata: [String: LogValue]
}

/// A small logging front for operators: one line per event with a level, a message and dotted
/// metadata keys (`binlog.file`, `binlog.pos`), as text or JSON, to a sink (standard error in the
/// daemon, a buffer in tests). Libraries receive a `Logger` in `init`; they never make one.
package struct Logger: Sendable {
    package let level: LogLevel
    package let format: LogFormat
    /// Metadata added to every event of this logger (see `with`).
    package let metadata: [String: LogValue]
    /// Start each line with its sd-daemon priority (`<4>`), for a standard error that is the journal.
    package let journalPriorities: Bool
    private let sink: @Sendable (String) -> Void
    /// Set by `events`: receives each event instead of `sink` receiving its line.
    private var handler: (@Sendable (LogEvent) -> Void)?
    private let clock: any ServiceClock

    /// - Parameters:
    ///   - sink: receives each complete line, newline included.
    ///   - clock: its wall reading stamps each line (injected so tests are deterministic).
    ///   - journalPriorities: prefix each line with `<N>`, its syslog priority (see `JournalStream`).
    package init(
        level: LogLevel, format: LogFormat, metadata: [String: LogValue] = [:], journalPriorities: Bool = false,
        clock: any ServiceClock = SystemClock(), sink: @escaping @Sendable (String) -> Void
    ) {
        self.level = level
        self.format = format
        self.metadata = metadata
        self.journalPriorities = journalPriorities
        self.clock = clock
        self.sink = sink
    }

    /// A logger writing to the process's standard error, with priority prefixes when that is the
    /// journal (`JournalStream`).
    package static func standardError(
        level: LogLevel, format: LogFormat, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Logger {
        Logger(level: level, format: format, journalPriorities: JournalStream.isConnected(environment: environment)) {
            FileHandle.standardError.write(Data($0.utf8))
        }
    }

    /// A logger handing every event at `level` or above to `handler` unformatted: the test kit
    /// (a test asserts a line's level, text and `sink` metadata) and callers that route events.
    package static func events(level: LogLevel = .debug, _ handler: @escaping @Sendable (LogEvent) -> Void) -> Logger {
        var logger = Logger(level: level, format: .text) { _ in }
        logger.handler = handler
        return logger
    }

    /// The same logger with more metadata on every event (e.g. `["sink": "redis.primary"]`).
    package func with(_ more: [String: LogValue]) -> Logger {
        var logger = Logger(
            level: level, format: format, metadata: metadata.merging(more) { $1 },
            journalPriorities: journalPriorities, clock: clock, sink: sink)
        logger.handler = handler
        return logger
    }

    package func log(_ eventLevel: LogLevel, _ message: String, _ eventMetadata: [String: LogValue] = [:]) {
        guard eventLevel >= level else { return }
        let all = metadata.merging(eventMetadata) { $1 }
        if let handler { return handler(LogEvent(level: eventLevel, message: message, metadata: all)) }
        let time = LogLine.timestamp(clock.wallNow())
        let prefix = journalPriorities ? JournalStream.prefix(eventLevel) : ""
        switch format {
        case .text: sink(prefix + LogLine.text(time: time, level: eventLevel, message: message, metadata: all))
        case .json: sink(prefix + LogLine.json(time: time, level: eventLevel, message: message, metadata: all))
        }
    }

    package func debug(_ message: String, _ metadata: [String: LogValue] = [:]) { log(.debug, message, metadata) }
    package func info(_ message: String, _ metadata: [String: LogValue] = [:]) { log(.info, message, metadata) }
    package func notice(_ message: String, _ metadata: [String: LogValue] = [:]) { log(.notice, message, metadata) }
    package func warning(_ message: String, _ metadata: [String: LogValue] = [:]) { log(.warning, message, metadata) }
    package func error(_ message: String, _ metadata: [String: LogValue] = [:]) { log(.error, message, metadata) }
}

/// Formatting of one event.
enum LogLine {
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// `2026-11-28T00:10:00.123Z info message binlog.file=mysql-bin.000003 binlog.pos=4`; values
    /// with spaces, quotes, `=` or control characters are quoted and escaped, so a line stays a line.
    static func text(time: String, level: LogLevel, message: String, metadata: [String: LogValue]) -> String {
        var line = "\(time) \(level.rawValue) \(escapeLine(message))"
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " \(escapeLine(key))=\(textValue(value))"
        }
        return line + "\n"
    }

    private static func textValue(_ value: LogValue) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .boolean(let flag): return String(flag)
        case .secret: return Secret.mask
        case .string(let text):
            let plain =
                !text.isEmpty
                && !text.unicodeScalars.contains {
                    $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
                }
            return plain ? text : jsonString(text)
        }
    }

    private static func escapeLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
    }

    /// `{"time":"...","level":"info","message":"...","binlog.file":"..."}`; metadata keys that clash
    /// with the three fixed ones get a leading underscore.
    static func json(time: String, level: LogLevel, message: String, metadata: [String: LogValue]) -> String {
        var fields = [
            "\"time\":\(jsonString(time))", "\"level\":\(jsonString(level.rawValue))",
            "\"message\":\(jsonString(message))",
        ]
        let renamed = metadata.map { key, value in
            (["time", "level", "message"].contains(key) ? "_" + key : key, value)
        }
        for (name, value) in renamed.sorted(by: { $0.0 < $1.0 }) {
            let rendered: String
            switch value {
            case .string(let text): rendered = jsonString(text)
            case .integer(let number): rendered = String(number)
            case .boolean(let flag): rendered = String(flag)
            case .secret: rendered = jsonString(Secret.mask)
            }
            fields.append("\(jsonString(name)):\(rendered)")
        }
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    static func jsonString(_ text: String) -> String { QuotedString.quote(text) }
}
