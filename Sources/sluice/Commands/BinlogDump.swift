import Binlog
import BinlogCompression
import MySQLSource
import Ops
import Replication

enum BinlogDumpCommand {
    static let command = Command(
        "binlog dump",
        abstract: "Decode binlog files: one JSON row change per line, or every event as text",
        discussion: """
            JSON lines follow the change-event schema (docs/change-events.md). --start-position applies
            to the first file and --stop-position to the last, as in mysqlbinlog. MariaDB compressed
            events are inflated; anything the decoder cannot read stops the dump with its place.
            """,
        flags: [
            .value(
                "format", placeholder: "json|text|sluice|debezium|canal",
                help: "output: change events (json), events as text, or Kafka message values of a [kafka] format",
                default: "json"),
            .value("tables", placeholder: "DB.T,...", help: "only these tables (comma separated)"),
            .value("start-position", placeholder: "N", help: "first event position in the first file"),
            .value("stop-position", placeholder: "N", help: "stop before this position in the last file"),
        ] + BinlogDumpFromServer.flags,
        positionals: [Positional("FILE", help: "binlog files, in order", arity: .variadic)]
    ) { invocation in
        let a = invocation.arguments
        let kafkaFormat = KafkaConfig.MessageFormat(rawValue: a.value("format") ?? "json")
        if a.flag("from-server") {
            if let kafkaFormat { return try BinlogDumpFromServer.run(invocation, kafkaFormat: kafkaFormat) }
            guard let format = ServerDump.Format(rawValue: a.value("format") ?? "json") else {
                throw UsageError(formatError)
            }
            return try BinlogDumpFromServer.run(invocation, format: format)
        }
        let files = a.variadic("FILE")
        guard !files.isEmpty else { throw UsageError("binlog dump needs at least one FILE") }
        let format = BinlogDump.Format(rawValue: a.value("format") ?? "json")
        guard format != nil || kafkaFormat != nil else { throw UsageError(formatError) }
        var options = BinlogDump.Options(format: format ?? .json)
        if let t = a.value("tables") {
            options.tables = Set(t.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
        }
        options.startPosition = try a.integer("start-position").map { UInt64(max(0, $0)) }
        options.stopPosition = try a.integer("stop-position").map { UInt64(max(0, $0)) }
        let out = BufferedOutput(console: invocation.console)
        if let kafkaFormat {
            _ = try KafkaFormatDump.run(
                files: files, format: kafkaFormat, options: options, decompressor: StandardDecompressor(),
                textConverter: IconvTextConverter()) { out.line($0) }
            out.flush()
            return .success
        }
        let dump = BinlogDump(options: options, decompressor: StandardDecompressor(), textConverter: IconvTextConverter())
        let summary = try dump.run(files: files) { out.line($0) }
        out.flush()
        if !summary.unknown.isEmpty {
            let list = summary.unknown.sorted { $0.key < $1.key }.map { "\(EventType.name(of: $0.key)) x\($0.value)" }
            invocation.console.err("skipped events not interpreted: " + list.joined(separator: ", "))
        }
        return .success
    }
}

private let formatError = "--format must be json, text, sluice, debezium or canal"

/// Collects output lines and writes them in blocks of about 64 KiB (one write per line is slow).
final class BufferedOutput: @unchecked Sendable {
    private let console: Console
    private var buffer = ""

    init(console: Console) { self.console = console }

    func line(_ s: String) {
        buffer += s
        buffer += "\n"
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        console.writeOut(buffer)
        buffer = ""
    }
}
