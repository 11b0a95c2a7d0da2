import Foundation
import TestHelpers
import XCTest

@testable import Ops

/// config/sluice.example.toml passes, documents every key the schema knows, and the built binary
/// agrees.
final class ExampleConfigTests: ConfigTestCase {
    private var examplePath: String { Self.packageRoot.appendingPathComponent("config/sluice.example.toml").path }

    func testExamplePasses() throws {
        let loaded: SluiceConfig.Loaded
        switch SluiceConfig.load(path: examplePath, environment: [:]) {
        case .success(let value): loaded = value
        case .failure(let errors): return XCTFail(errors.description)
        }
        XCTAssertEqual(loaded.config.source?.serverID, 4201)
        XCTAssertEqual(loaded.config.mappings.map(\.qualifiedTable), ["payments.accounts", "payments.fx_rates"])
        XCTAssertEqual(loaded.config.redis.map(\.name), ["primary", "dr"])
        XCTAssertEqual(loaded.config.drApply?.redisCluster, "dr")
    }

    /// A configuration setting every key of the schema (all optional ones too).
    private func everyKey() throws -> String {
        let pem = try write("x.pem", "pem")
        try write("pw", "pw")
        return """
            [source]
            host = "h"
            port = 1
            socket = "/s"
            user = "u"
            password_file = "pw"
            server_id = 1
            flavor = "mariadb"
            start = "position"
            start_file = "f"
            start_position = 4
            connect_timeout_ms = 100
            heartbeat_ms = 100
            reconnect_min_ms = 1
            reconnect_max_ms = 1
            xa_spill_rows = 1
            xa_spill_directory = "/var/lib/sluice/xa"
            [source.tls]
            mode = "verify-ca"
            ca = "\(pem)"
            cert = "\(pem)"
            key = "\(pem)"
            [source.checks]
            require_sync_binlog = true
            require_innodb_flush = true
            require_row_format = true
            require_full_row_image = true
            [filter]
            include = ["a"]
            exclude = ["b"]
            [[mapping]]
            table = "a.b"
            key = "k:{id}"
            shape = "json"
            columns = ["id"]
            ttl_seconds = 1
            version = "column"
            version_column = "v"
            on_error = "skip"
            clusters = ["primary"]
            [[mapping]]
            table = "a.c"
            key = "k:{id}"
            shape = "string"
            value_column = "v"
            [redis.primary]
            seeds = ["h:1"]
            mode = "cluster"
            user = "u"
            password_credential = "c"
            connect_timeout_ms = 10
            command_timeout_ms = 10
            batch_rows = 1
            wait_replicas = 1
            wait_timeout_ms = 1
            tombstone_ttl_seconds = 1
            checkpoint_prefix = "p"
            [redis.primary.tls]
            mode = "verify-identity"
            ca = "\(pem)"
            cert = "\(pem)"
            key = "\(pem)"
            [redis.dr]
            seeds = ["h:2"]
            password = "x"
            [kafka]
            enabled = true
            brokers = ["h:3"]
            topic_mode = "single"
            topic = "t"
            topic_prefix = "p"
            client_id = "c"
            delivery_timeout_ms = 1
            compression = "zstd"
            create_topics = true
            topic_partitions = 2
            topic_replication_factor = 1
            [kafka.tls]
            mode = "required"
            ca = "\(pem)"
            cert = "\(pem)"
            key = "\(pem)"
            [kafka.sasl]
            mechanism = "PLAIN"
            user = "u"
            password_file = "pw"
            [kafka.properties]
            "linger.ms" = 5
            [dr_apply]
            topics = ["t"]
            group_id = "g"
            partitions = [1]
            redis_cluster = "dr"
            [metrics]
            enabled = false
            listen = "h:4"
            ready_lag_seconds = 1.5
            [lag]
            max_seconds = 1
            max_bytes = 1
            [log]
            level = "debug"
            format = "json"
            [daemon]
            shutdown_timeout_ms = 1
            queue_capacity = 1
            [ledger]
            name = "l"
            journal_dir = "/var/lib/sluice/journal"
            journal_segment_bytes = 4096
            journal_signing_key_file = "pw"
            listen = "h:5"
            redis_cluster = "primary"
            account_key = "a:{id}"
            amount_scale = 2
            max_attempts = 1
            one_phase_single_shard = true
            connections_per_shard = 1
            max_body_bytes = 64
            max_connections = 1
            request_timeout_ms = 100
            [[ledger.shard]]
            host = "h"
            port = 1
            socket = "/s"
            user = "u"
            password_file = "pw"
            database = "d"
            [ledger.risk]
            reservation_ttl_ms = 100
            anomaly_window = 1
            anomaly_min_samples = 1
            default_class = "c"
            [[ledger.risk.class]]
            name = "c"
            daily_limit = "1.00"
            per_minute = 1
            anomaly_factor = 2.5
            """
    }

    /// Every key a full configuration uses appears in the example, set or commented out, in its table.
    func testExampleDocumentsEveryKey() throws {
        try FileManager.default.createDirectory(atPath: folder + "/credentials", withIntermediateDirectories: true)
        try write("credentials/c", "pw")
        let loaded = try valid(try everyKey(), environment: ["CREDENTIALS_DIRECTORY": folder + "/credentials"])
        let example = try String(contentsOfFile: examplePath, encoding: .utf8)
        var missing: [String] = []
        for (section, key) in Self.keysBySection(loaded.effective) {
            let inSection = Self.sectionText(example, section)
            let documented = inSection.split(separator: "\n").contains {
                let line = $0.drop { $0 == "#" || $0 == " " }
                return line.hasPrefix("\(key) = ")
            }
            if !documented { missing.append("[\(section)] \(key)") }
        }
        XCTAssertEqual(missing, [], "keys missing from config/sluice.example.toml")
        // And every mandatory password alternative is there.
        for alternative in ["password", "password_file", "password_credential"] {
            XCTAssertTrue(example.contains("# \(alternative) = "), alternative)
        }
    }

    /// (section header, key) pairs of a rendered configuration; sections of [redis.*] (and their
    /// subtables) and [[mapping]] are folded to their first occurrence's name.
    private static func keysBySection(_ text: String) -> [(String, String)] {
        var section = ""
        var pairs: [(String, String)] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[") {
                section = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                if section.hasPrefix("redis.") {
                    // [redis.dr] -> [redis.primary], [redis.dr.tls] -> [redis.primary.tls]
                    var parts = section.split(separator: ".").map(String.init)
                    parts[1] = "primary"
                    section = parts.joined(separator: ".")
                }
            } else if let equals = line.range(of: " = ") {
                pairs.append((section, String(line[..<equals.lowerBound])))
            }
        }
        return pairs
    }

    /// The example's text from `[section]` (or `[[section]]`) to the next header; mapping keys
    /// are looked up across all [[mapping]] blocks.
    private static func sectionText(_ example: String, _ section: String) -> String {
        var inside = false
        var lines: [Substring] = []
        for line in example.split(separator: "\n") {
            if line.hasPrefix("[") {
                inside = line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) == section
                continue
            }
            if inside { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }

    /// The built `sluice` binary: `config check` on the example exits 0; a typo exits 2 naming the line.
    func testBinaryConfigCheck() throws {
        let binary = try BuiltBinary.path()
        var result = try run(binary, ["config", "check", examplePath])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.contains("[redis.primary]"))

        let bad = try write("typo.toml", ConfigTestCase.minimal + "batch_row = 5\n")
        result = try run(binary, ["config", "check", bad])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(
            result.err.hasPrefix("\(bad):7: redis.primary.batch_row: unknown key; did you mean \"batch_rows\"?\n"),
            result.err)

        result = try run(binary, ["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.out.contains("config"))
        result = try run(binary, ["--version"])
        XCTAssertEqual(result.out.split(separator: "\n").first, "sluice \(SluiceVersion.current)")
        result = try run(binary, ["config", "chek"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.err.contains("did you mean 'check'?"), result.err)
    }

    private func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try BuiltBinary.run(binary, arguments)
    }
}
