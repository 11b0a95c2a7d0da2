import Foundation
import MySQLSource
import Ops
import Replication

/// `sluice binlog dump --from-server`: the connection from flags or the `[source]` section of
/// `--config`, then `ServerDump` on a `BinlogSource` (wiring only).
enum BinlogDumpFromServer {
    static let flags: [Flag] = [
        .boolean("from-server", help: "read the binlog from a live server as a replica instead of FILEs"),
        .value("config", placeholder: "FILE", help: "take the connection from the [source] section of this config"),
        .value("host", placeholder: "HOST", help: "server host (--from-server)", default: "127.0.0.1"),
        .value("port", placeholder: "N", help: "server port (--from-server)", default: "3306"),
        .value("socket", placeholder: "PATH", help: "Unix socket instead of host and port"),
        .value(
            "user", placeholder: "NAME", help: "account with REPLICATION SLAVE and REPLICATION CLIENT", default: "root"),
        .value("password", placeholder: "TEXT", help: "password (else $SLUICE_SOURCE_PASSWORD)"),
        .value(
            "server-id", placeholder: "N", help: "server_id to register with; unique among replicas", default: "4195"),
        .value(
            "ssl-mode", placeholder: "MODE", help: "disabled|preferred|required|verify-ca|verify-identity",
            default: "preferred"),
        .value("ssl-ca", placeholder: "FILE", help: "CA certificates (PEM)"),
        .value("ssl-cert", placeholder: "FILE", help: "client certificate (PEM)"),
        .value("ssl-key", placeholder: "FILE", help: "client key (PEM)"),
        .value(
            "start", placeholder: "WHERE", help: "earliest|current|FILE:POS|GTID position|MySQL GTID set",
            default: "earliest"),
        .boolean("follow", help: "keep waiting for new transactions at the end of the binlog"),
    ]

    /// `--format sluice|debezium|canal`: the Kafka message values of that format.
    static func run(_ invocation: Invocation, kafkaFormat: KafkaConfig.MessageFormat) throws -> ExitCode {
        try run(invocation, format: .json, kafkaFormat: kafkaFormat)
    }

    static func run(
        _ invocation: Invocation, format: ServerDump.Format, kafkaFormat: KafkaConfig.MessageFormat? = nil
    ) throws -> ExitCode {
        let a = invocation.arguments
        var endpoint: MySQLEndpoint
        var serverID = UInt32(try a.integer("server-id") ?? 4195)
        var heartbeat = 1.0
        if let path = a.value("config") {
            switch SluiceConfig.load(path: path, environment: ProcessInfo.processInfo.environment) {
            case .failure(let errors):
                throw UsageError("\(errors)")
            case .success(let loaded):
                guard let source = loaded.config.source else { throw UsageError("\(path) has no [source] section") }
                endpoint = MySQLEndpoint(
                    host: source.host, port: source.port, user: source.user, password: source.password?.revealed ?? "",
                    socket: source.socket, connectTimeoutSeconds: UInt32(max(1, source.connectTimeoutMS / 1000)),
                    tls: try tls(
                        source.tls.mode.rawValue, ca: source.tls.files.ca, cert: source.tls.files.cert,
                        key: source.tls.files.key))
                serverID = source.serverID
                heartbeat = Double(source.heartbeatMS) / 1000
            }
        } else {
            endpoint = MySQLEndpoint(
                host: a.value("host") ?? "127.0.0.1", port: try a.integer("port") ?? 3306,
                user: a.value("user") ?? "root",
                password: a.value("password") ?? ProcessInfo.processInfo.environment["SLUICE_SOURCE_PASSWORD"] ?? "",
                socket: a.value("socket"),
                tls: try tls(
                    a.value("ssl-mode") ?? "preferred", ca: a.value("ssl-ca"), cert: a.value("ssl-cert"),
                    key: a.value("ssl-key")))
        }
        endpoint.readTimeoutSeconds = 30
        let start = try SourceStart(parsing: a.value("start") ?? "earliest")
        let source = BinlogSource(
            SourceConfiguration(
                endpoint: endpoint,
                replica: ReplicaOptions(
                    serverID: serverID, heartbeatSeconds: heartbeat, reportHost: "sluice-dump", follow: a.flag("follow")
                ),
                start: start))
        let out = BufferedOutput(console: invocation.console)
        defer { out.flush() }
        if let kafkaFormat {
            var ordinal = 0
            while let t = try source.next() {
                let firstOrdinal = ordinal
                ordinal = t.isLast ? 0 : ordinal + t.changes.count
                let transaction = t.pipelineTransaction(serverID: source.serverID ?? 0, firstOrdinal: firstOrdinal)
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                for line in KafkaFormatDump.lines(transaction, format: kafkaFormat, processedMS: now) { out.line(line) }
                if a.flag("follow") { out.flush() }
            }
            return .success
        }
        try ServerDump.run(source, format: format) { line in
            out.line(line)
            if a.flag("follow") { out.flush() }
        }
        return .success
    }

    private static func tls(_ mode: String, ca: String?, cert: String?, key: String?) throws -> MySQLTLS {
        guard let parsed = MySQLTLS.Mode(rawValue: mode) else {
            throw UsageError(
                "--ssl-mode must be one of \(MySQLTLS.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return MySQLTLS(mode: parsed, ca: ca, cert: cert, key: key)
    }
}
