// swift-tools-version:6.0
import PackageDescription

// sluice: MySQL/MariaDB ROW binlog -> version-checked Redis Cluster + Kafka.
// No SwiftPM package dependencies: Foundation, Dispatch, XCTest and Debian C libraries.
let package = Package(
    name: "sluice",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sluice", targets: ["sluice"])
    ],
    targets: [
        // C library module maps (nothing else lives in these).
        .systemLibrary(name: "CMariaDB", path: "Sources/CMariaDB", pkgConfig: "libmariadb",
                       providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", pkgConfig: "hiredis",
                       providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        // TLS to Redis (hiredis 0.14 has none).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),

        // Pure decoder: Foundation only.
        .target(name: "Binlog", path: "Sources/Binlog"),
        // Decompression (MariaDB zlib events, MySQL zstd transactions) and CJK text (glibc iconv), outside the pure decoder.
        .target(name: "BinlogCompression", dependencies: ["Binlog", "CZlib", "CZstd"], path: "Sources/BinlogCompression"),

        // The two clocks (monotonic for timeouts, wall for commit times and lag), injected everywhere time is read.
        .target(name: "Timekeeping", path: "Sources/Timekeeping"),

        .target(name: "MySQLSource", dependencies: ["Binlog", "BinlogCompression", "CMariaDB", "Timekeeping"],
                path: "Sources/MySQLSource"),
        .target(name: "RedisCluster", dependencies: ["CHiredis", "COpenSSL"], path: "Sources/RedisCluster"),
        .target(name: "Kafka", dependencies: ["CRdKafka", "Timekeeping"], path: "Sources/Kafka"),
        .target(name: "Ops", dependencies: ["Timekeeping"], path: "Sources/Ops"),
        .target(name: "Replication",
                dependencies: ["Binlog", "MySQLSource", "RedisCluster", "Kafka", "Ops", "Timekeeping"],
                path: "Sources/Replication"),
        .target(name: "Ledger", dependencies: ["MySQLSource", "BinlogCompression", "RedisCluster", "Ops", "Timekeeping", "COpenSSL"],
                path: "Sources/Ledger"),

        // Not product code: benchmarks, the demo's workload and consistency check, the lag watcher.
        // Only the executable (`sluice bench ...`, `sluice demo`) and tests import it; no product module does.
        .target(name: "SluiceLab",
                dependencies: ["Binlog", "Ledger", "MySQLSource", "RedisCluster", "Kafka", "Ops", "Replication", "Timekeeping"],
                path: "Sources/SluiceLab"),

        // Pure test helpers (condition waits, a seeded generator, the built binary): Foundation and XCTest only.
        .target(name: "TestHelpers", path: "Sources/TestHelpers"),
        // Starts real MariaDB, Redis Cluster and Tansu on loopback for tests and `sluice demo`.
        .target(name: "TestSupport", dependencies: ["TestHelpers", "MySQLSource", "RedisCluster", "Kafka"],
                path: "Sources/TestSupport"),

        // Deployable without the Swift toolchain, in every configuration (so the tests check the
        // debug binary's linkage too): the Swift standard library and Foundation are linked
        // statically, and the only RUNPATH is the package's private library folder
        // (/usr/lib/sluice beside /usr/bin/sluice), which carries the tested librdkafka.
        .executableTarget(
            name: "sluice",
            dependencies: ["Binlog", "BinlogCompression", "MySQLSource", "RedisCluster", "Kafka",
                           "Replication", "Ledger", "Ops", "SluiceLab", "Timekeeping", "TestSupport"],
            path: "Sources/sluice",
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-rpath=$ORIGIN/../lib/sluice",
                                            "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
                                            "-l_FoundationCollections", "-lswiftSynchronization"])]),

        // Pure targets (no servers, no network; `scripts/test --pure` runs only these): byte fixtures,
        // state machines, config and one-shot runs of the built binary. Each `*LiveTests` target
        // beside one holds the tests of that module against real servers started by TestSupport.
        .testTarget(name: "BinlogTests", dependencies: ["Binlog", "BinlogCompression"], path: "Tests/BinlogTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "OpsTests", dependencies: ["Ops", "Timekeeping", "TestHelpers"], path: "Tests/OpsTests"),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "CRdKafka"], path: "Tests/KafkaTests"),
        .testTarget(name: "RedisClusterTests", dependencies: ["RedisCluster"], path: "Tests/RedisClusterTests"),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "RedisCluster", "Binlog", "Ops", "Kafka", "MySQLSource", "SluiceLab", "Timekeeping", "TestHelpers"],
                    path: "Tests/ReplicationTests"),
        .testTarget(name: "MySQLSourceTests", dependencies: ["MySQLSource", "Binlog", "Timekeeping"], path: "Tests/MySQLSourceTests"),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Ops", "TestHelpers"], path: "Tests/LedgerTests"),

        // Live targets: against real MariaDB, Redis Cluster, Tansu and sluice processes from TestSupport.
        .testTarget(name: "RedisClusterLiveTests", dependencies: ["RedisCluster", "TestSupport"],
                    path: "Tests/RedisClusterLiveTests"),
        .testTarget(name: "ReplicationLiveTests",
                    dependencies: ["Replication", "RedisCluster", "Binlog", "Ops", "Kafka", "MySQLSource", "SluiceLab", "Timekeeping", "TestSupport"],
                    path: "Tests/ReplicationLiveTests"),
        .testTarget(name: "MySQLSourceLiveTests", dependencies: ["MySQLSource", "Binlog", "BinlogCompression", "Timekeeping", "TestSupport"],
                    path: "Tests/MySQLSourceLiveTests"),
        .testTarget(name: "LedgerLiveTests", dependencies: ["Ledger", "Ops", "MySQLSource", "RedisCluster", "Timekeeping", "TestSupport"],
                    path: "Tests/LedgerLiveTests"),
        // Against real servers started by TestSupport; also reaches each C library directly.
        .testTarget(name: "IntegrationTests",
                    dependencies: ["TestSupport", "MySQLSource", "RedisCluster", "Kafka",
                                   "CMariaDB", "CHiredis", "CRdKafka"],
                    path: "Tests/IntegrationTests"),
    ]
)
