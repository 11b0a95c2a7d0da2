import XCTest

@testable import Ops

final class ConfigValidationTests: ConfigTestCase {
    func testUnknownKeysWithSuggestions() throws {
        XCTAssertEqual(
            try errors(
                """
                [source]
                user = "repl"
                prot = 3306
                server_id = 7
                [sorce]
                host = "x"
                [redis.primary]
                seeds = ["127.0.0.1:7000"]
                batchrows = 10
                [[mapping]]
                table = "a.b"
                key = "k:{id}"
                vesion = "binlog"
                """),
            [
                "sluice.toml:3: source.prot: unknown key; did you mean \"port\"?",
                "sluice.toml:5: sorce: unknown key; did you mean \"source\"?",
                "sluice.toml:9: redis.primary.batchrows: unknown key; did you mean \"batch_rows\"?",
                "sluice.toml:13: mapping[0].vesion: unknown key; did you mean \"version\"?",
            ])
        XCTAssertEqual(try errors(Self.minimal + "[log]\ncolour = true\n"), ["sluice.toml:8: log.colour: unknown key"])
    }

    /// A key template that can render into sluice's own key names (a key column holding
    /// `sluice:v:{victim}` overwrote another row's version) is refused with its line.
    func testKeyTemplatesThatCanWriteSluiceKeysAreRefused() throws {
        let mapping = { (key: String) in "[[mapping]]\ntable = \"a.b\"\nkey = \"\(key)\"\n" }
        let hint = "where sluice keeps its own data (versions, tombstones, checkpoints, DR offsets): start the template"
        for key in ["{id}", "s{id}", "sluice:{id}", "sluice:v:x{id}", "{id}:{name}"] {
            let lines = try errors(Self.minimal + mapping(key))
            XCTAssertEqual(lines.count, 1, "\(key): \(lines)")
            XCTAssertTrue(lines.first?.hasPrefix("sluice.toml:9: mapping[0].key: ") == true, "\(key): \(lines)")
            XCTAssertTrue(lines.first?.contains("'sluice:', " + hint) == true, "\(key): \(lines)")
        }
        XCTAssertEqual(
            try errors(Self.minimal + mapping("{id}")),
            [
                "sluice.toml:9: mapping[0].key: a key column holding text such as 'sluice:...' makes a key "
                    + "starting with 'sluice:', " + hint + " with a literal prefix of your own, e.g. \"row:{id}\" "
                    + "(docs/redis.md)"
            ])
        // A cluster's own checkpoint prefix is reserved too.
        let custom = Self.minimal.replacingOccurrences(
            of: "seeds = [\"127.0.0.1:7000\"]", with: "seeds = [\"127.0.0.1:7000\"]\ncheckpoint_prefix = \"acct:cp:\"")
        let refused = try errors(custom + mapping("acct:{id}"))
        XCTAssertEqual(refused.count, 1, "\(refused)")
        XCTAssertTrue(refused.first?.contains("makes a key starting with 'acct:cp:'") == true, "\(refused)")
        for key in ["account:{id}", "{{{id}}}", "acct:{{{id}}}", "x:sluice:{id}"] {
            XCTAssertEqual(try load(Self.minimal + mapping(key)).1, [], key)
        }
    }

    func testWrongTypes() throws {
        XCTAssertEqual(
            try errors(
                """
                [source]
                user = "repl"
                server_id = 7
                port = "x"
                checks.require_row_format = "yes"
                [redis.primary]
                seeds = "127.0.0.1:7000"
                [filter]
                include = ["a", 5]
                [metrics]
                ready_lag_seconds = "soon"
                [kafka]
                tls = 1
                [[mapping]]
                table = 5
                key = "k:{id}"
                """),
            [
                "sluice.toml:4: source.port: expected an integer, got string \"x\"",
                "sluice.toml:5: source.checks.require_row_format: expected a boolean, got string \"yes\"",
                "sluice.toml:7: redis.primary.seeds: expected an array, got string \"127.0.0.1:7000\"",
                "sluice.toml:9: filter.include[1]: expected a string, got integer 5",
                "sluice.toml:11: metrics.ready_lag_seconds: expected a number, got string \"soon\"",
                "sluice.toml:13: kafka.tls: expected a table, got integer 1",
                "sluice.toml:15: mapping[0].table: expected a string, got integer 5",
            ])
        XCTAssertEqual(
            try errors(Self.minimal + "[mapping]\ntable = \"a.b\"\n"),
            [
                "sluice.toml:7: mapping: expected an array of tables ([[mapping]]), got table"
            ])
    }

    func testMissingRequired() throws {
        XCTAssertEqual(
            try errors(
                """
                # comment

                [source]
                host = "db"
                [redis.primary]
                mode = "cluster"
                [[mapping]]
                shape = "string"
                """),
            [
                "sluice.toml:3: source.user: missing required key",
                "sluice.toml:3: source.server_id: missing required key",
                "sluice.toml:5: redis.primary.seeds: missing required key",
                "sluice.toml:7: mapping[0].table: missing required key",
                "sluice.toml:7: mapping[0].key: missing required key",
                "sluice.toml:8: mapping[0].value_column: required when shape = \"string\"",
            ])
        XCTAssertEqual(
            try errors("[log]\nlevel = \"info\"\n"),
            [
                "sluice.toml: nothing to run: configure [source] (the binlog daemon) and/or [dr_apply] (the DR applier)"
            ])
        XCTAssertEqual(
            try errors(
                Self.minimal + """
                    [kafka]
                    enabled = true
                    topic_mode = "single"
                    [dr_apply]
                    redis_cluster = "primary"
                    """),
            [
                "sluice.toml:8: kafka.brokers: required when enabled = true",
                "sluice.toml:9: kafka.topic: required when topic_mode = \"single\"",
                "sluice.toml:10: dr_apply.topics: no topics to consume: set topics, or add [[mapping]] tables to derive them",
            ])
    }

    func testBadValues() throws {
        XCTAssertEqual(
            try errors(
                """
                [source]
                user = "repl"
                server_id = 0
                port = 70000
                tls.mode = "verify"
                start = "position"
                reconnect_min_ms = 5000
                reconnect_max_ms = 1000
                xa_spill_rows = 0
                [filter]
                include = ["(unclosed"]
                [redis.primary]
                seeds = ["127.0.0.1", "[::1]:6379", "h:0"]
                [redis.Bad]
                seeds = ["x:1"]
                [[mapping]]
                table = "payments"
                key = "account:{id"
                shape = "hsah"
                [[mapping]]
                table = "a.b"
                key = "constant"
                clusters = ["primary", "primery"]
                [metrics]
                listen = "localhost"
                """),
            [
                "sluice.toml:3: source.server_id: must be between 1 and 4294967295, got 0",
                "sluice.toml:4: source.port: must be between 1 and 65535, got 70000",
                "sluice.toml:5: source.tls.mode: expected one of \"disabled\", \"preferred\", \"required\", "
                    + "\"verify-ca\", \"verify-identity\", got \"verify\"",
                "sluice.toml:6: source.start_file: required when start = \"position\"",
                "sluice.toml:6: source.start_position: required when start = \"position\"",
                "sluice.toml:7: source.reconnect_min_ms: must not exceed reconnect_max_ms (1000)",
                "sluice.toml:9: source.xa_spill_rows: must be between 1 and 100000000, got 0",
                "sluice.toml:11: filter.include[0]: invalid regular expression \"(unclosed\"",
                "sluice.toml:13: redis.primary.seeds[0]: expected \"host:port\", got \"127.0.0.1\"",
                "sluice.toml:13: redis.primary.seeds[2]: port must be a number between 1 and 65535 in \"h:0\"",
                "sluice.toml:14: redis.Bad: cluster name \"Bad\" must be lower-case letters, digits, '_' or '-'",
                "sluice.toml:17: mapping[0].table: expected \"database.table\", got \"payments\"",
                "sluice.toml:18: mapping[0].key: unclosed '{' in key template \"account:{id\" (write '{{' for a literal brace)",
                "sluice.toml:19: mapping[0].shape: expected one of \"hash\", \"json\", \"string\", got \"hsah\"; did you mean \"hash\"?",
                "sluice.toml:22: mapping[1].key: key template \"constant\" uses no {column}, so every row would share one key",
                "sluice.toml:23: mapping[1].clusters[1]: no [redis.primery] cluster is configured; did you mean \"primary\"?",
                "sluice.toml:25: metrics.listen: expected \"host:port\", got \"localhost\"",
            ])
    }

    func testCrossKeyRules() throws {
        XCTAssertEqual(
            try errors(
                Self.minimal + """
                    [[mapping]]
                    table = "a.b"
                    key = "k:{id}"
                    value_column = "v"
                    version = "column"
                    version_column = "ver"
                    [[mapping]]
                    table = "a.c"
                    key = "k:{id}"
                    shape = "string"
                    value_column = "v"
                    columns = ["v"]
                    version_column = "ver"
                    [source.tls]
                    mode = "verify-identity"
                    cert = "\(folder)/cert.pem"
                    """),
            [
                "sluice.toml:10: mapping[0].value_column: only used with shape \"string\"",
                "sluice.toml:18: mapping[1].columns: not used with shape \"string\" (use value_column)",
                "sluice.toml:19: mapping[1].version_column: only used with version = \"column\"",
                "sluice.toml:21: source.tls.ca: required when mode is \"verify-identity\"",
                "sluice.toml:22: source.tls.cert: cannot read \"\(folder)/cert.pem\": no such file",
                "sluice.toml:22: source.tls.cert: cert and key go together: set both or neither",
            ])
    }

    /// A table may have several `[[mapping]]`s (several keys); its Kafka messages follow the
    /// `kafka_*` rules of the first, so a later one may leave them out or repeat them, not differ.
    func testLaterMappingsOfATableFollowTheFirstsKafkaRules() throws {
        let first = "[[mapping]]\ntable = \"a.b\"\nkey = \"k:{id}\"\nkafka_key_columns = [\"id\"]\n"
        let two = try valid(Self.minimal + first + "[[mapping]]\ntable = \"a.b\"\nkey = \"o:{owner}\"\n")
        XCTAssertEqual(two.config.mappings.map(\.key.source), ["k:{id}", "o:{owner}"])
        _ = try valid(
            Self.minimal + first + "[[mapping]]\ntable = \"a.b\"\nkey = \"o:{owner}\"\nkafka_key_columns = [\"id\"]\n")
        XCTAssertEqual(
            try errors(
                Self.minimal + first
                    + "[[mapping]]\ntable = \"a.b\"\nkey = \"o:{owner}\"\nkafka_key_columns = [\"owner\"]\n"),
            [
                "sluice.toml:14: mapping[1].kafka_key_columns: a.b's Kafka messages follow the rules of its first "
                    + "[[mapping]] (line 7): set kafka_key_columns there, the same in every mapping of the table, "
                    + "or leave it out here"
            ])
    }

    func testHashColumnNamedLikeTheVersionFieldIsRefused() throws {
        XCTAssertEqual(
            try errors(Self.minimal + "[[mapping]]\ntable = \"a.b\"\nkey = \"k:{id}\"\ncolumns = [\"id\", \"sluice:v\"]\n"),
            [
                "sluice.toml:10: mapping[0].columns: 'sluice:v' is the hash field sluice keeps the row's version in (docs/redis.md)"
            ])
    }

    func testSyntaxErrorsThroughTheLoader() throws {
        XCTAssertEqual(try errors("[source]\nuser = \"repl\nserver_id = 1\n"), ["sluice.toml:2: unterminated string"])
        XCTAssertEqual(
            try errors(Self.minimal + "[source]\nport = 1\nport = 2\n"),
            [
                "sluice.toml:7: source: duplicate table [source] (first defined on line 1)",
                "sluice.toml:9: port: duplicate key (first set on line 8)",
            ])
        XCTAssertEqual(
            try errors("[source]\nuser = \"a\"\nuser = \"b\"\nserver_id = 1\n"),
            [
                "sluice.toml:3: user: duplicate key (first set on line 2)"
            ])
    }

    func testUnreadableConfigFile() {
        guard case .failure(let errors) = SluiceConfig.load(path: folder + "/absent.toml", environment: [:]) else {
            return XCTFail("an absent file loaded")
        }
        XCTAssertEqual(
            errors.errors,
            [
                ConfigError(
                    .unreadableConfig, file: folder + "/absent.toml", line: 0,
                    "cannot read the configuration file", cause: "no such file")
            ])
        XCTAssertEqual(errors.description, "\(folder)/absent.toml: cannot read the configuration file: no such file")
        XCTAssertEqual(errors.exitCode, .usage)
    }

    func testTypedValuesAndDefaults() throws {
        let config = try valid(
            Self.minimal + """
                [redis.dr]
                seeds = ["[::1]:7100"]
                mode = "standalone"
                [[mapping]]
                table = "payments.accounts"
                key = "acct:{{{id}}}:{region}"
                version = "column"
                version_column = "version"
                [[mapping]]
                table = "payments.fx"
                key = "fx:{pair}"
                shape = "string"
                value_column = "rate"
                [kafka]
                brokers = ["k1:9092"]
                topic_mode = "per-table"
                [dr_apply]
                partitions = [0, 2]
                [source.checks]
                require_sync_binlog = false
                """
        ).config
        let source = try XCTUnwrap(config.source)
        XCTAssertEqual(source.host, "127.0.0.1")
        XCTAssertEqual(source.port, 3306)
        XCTAssertEqual(source.serverID, 7)
        XCTAssertEqual(source.start, .checkpointOrEarliest)
        XCTAssertEqual(source.tls, SourceConfig.TLS(mode: .preferred, files: TLSFiles()))
        XCTAssertEqual(source.checks.requireSyncBinlog, false)
        XCTAssertEqual(source.checks.requireRowFormat, true)
        XCTAssertEqual(config.redis.map(\.name), ["primary", "dr"])
        XCTAssertEqual(config.redis(named: "dr")?.seeds, [HostPort(host: "::1", port: 7100)])
        XCTAssertEqual(config.redis(named: "dr")?.mode, .standalone)
        XCTAssertEqual(config.redis(named: "primary")?.batchRows, 500)
        XCTAssertEqual(config.mappings.count, 2)
        XCTAssertEqual(config.mappings[0].database, "payments")
        XCTAssertEqual(config.mappings[0].table, "accounts")
        XCTAssertEqual(
            config.mappings[0].key.parts, [.literal("acct:{"), .column("id"), .literal("}:"), .column("region")])
        XCTAssertEqual(config.mappings[0].key.render { ["id": "42", "region": "eu"][$0] }, "acct:{42}:eu")
        XCTAssertEqual(config.mappings[0].version, .column("version"))
        XCTAssertEqual(config.mappings[0].clusters, ["primary"], "default: every cluster but the DR applier's")
        XCTAssertEqual(config.mappings[1].shape, .string)
        XCTAssertEqual(config.mappings[1].valueColumn, "rate")
        XCTAssertEqual(config.mappings[1].version, .binlog)
        XCTAssertEqual(config.drApply?.topics, ["sluice.payments.accounts", "sluice.payments.fx"])
        XCTAssertEqual(config.drApply?.groupID, "sluice-dr")
        XCTAssertEqual(config.drApply?.partitions, [0, 2])
        XCTAssertEqual(config.drApply?.redisCluster, "dr")
        XCTAssertEqual(config.metrics.listen, HostPort(host: "127.0.0.1", port: 9187))
        XCTAssertEqual(config.log.level, .info)
        XCTAssertEqual(config.daemon.queueCapacity, 1024)
    }

    func testStartPositions() throws {
        XCTAssertEqual(
            try valid(
                Self.minimal.replacingOccurrences(
                    of: "server_id = 7",
                    with: "server_id = 7\nstart = \"position\"\nstart_file = \"bin.000003\"\nstart_position = 1_024")
            )
            .config.source?.start, .position(file: "bin.000003", offset: 1024))
        XCTAssertEqual(
            try valid(
                Self.minimal.replacingOccurrences(
                    of: "server_id = 7", with: "server_id = 7\nstart = \"gtid\"\nstart_gtid = \"0-1-100, 1-2-5\"")
            )
            .config.source?.start, .gtid("0-1-100, 1-2-5"))
        XCTAssertEqual(
            try errors(
                Self.minimal.replacingOccurrences(
                    of: "server_id = 7",
                    with: "server_id = 7\nstart = \"gtid\"\nstart_gtid = \"yesterday\"\nstart_file = \"x\"")),
            [
                "sluice.toml:5: source.start_gtid: expected a GTID set (MariaDB \"0-1-100\" or MySQL \"uuid:1-100\"), got \"yesterday\"",
                "sluice.toml:6: source.start_file: only used when start = \"position\"",
            ])
    }
}

final class DRApplyConfigTests: ConfigTestCase {
    func testDRClusterMustExist() throws {
        XCTAssertEqual(
            try errors(Self.minimal + "[kafka]\nbrokers = [\"k:1\"]\n[dr_apply]\ntopics = [\"t\"]\n"),
            [
                "sluice.toml:9: dr_apply.redis_cluster: no [redis.dr] cluster is configured (redis_cluster defaults to \"dr\")"
            ])
        XCTAssertEqual(
            try errors(
                Self.minimal
                    + "[kafka]\nbrokers = [\"k:1\"]\n[dr_apply]\ntopics = [\"t\"]\nredis_cluster = \"primry\"\n"),
            [
                "sluice.toml:11: dr_apply.redis_cluster: no [redis.primry] cluster is configured; did you mean \"primary\"?"
            ])
    }

    func testDRClusterFromEnvironmentIsExcludedFromMappingDefaults() throws {
        let config = try valid(
            Self.minimal + """
                [redis.west]
                seeds = ["w:1"]
                [[mapping]]
                table = "a.b"
                key = "k:{id}"
                [kafka]
                brokers = ["k:1"]
                [dr_apply]
                redis_cluster = "${DR}"
                """, environment: ["DR": "west"]
        ).config
        XCTAssertEqual(config.drApply?.redisCluster, "west")
        XCTAssertEqual(config.mappings.first?.clusters, ["primary"])
        XCTAssertEqual(config.drApply?.topics, ["sluice.a.b"])
    }

    func testConfigFileThatIsNotUTF8() throws {
        let path = (folder as NSString).appendingPathComponent("latin1.toml")
        try Data([0x5B, 0x73, 0x5D, 0x0A, 0x61, 0x20, 0x3D, 0x20, 0x22, 0xE9, 0x22, 0x0A]).write(
            to: URL(fileURLWithPath: path))
        guard case .failure(let errors) = SluiceConfig.load(path: path, environment: [:]) else {
            return XCTFail("a Latin-1 file loaded")
        }
        XCTAssertEqual(errors.description, "\(path): the file is not UTF-8 text")
    }
}
