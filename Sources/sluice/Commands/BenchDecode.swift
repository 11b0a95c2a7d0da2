import Binlog
import BinlogCompression
import Ops
import SluiceLab

enum BenchDecodeCommand {
    static let command = Command(
        "bench decode",
        abstract: "Decode every row of a binlog file into typed values on one thread; report rows/s",
        discussion: """
            The last line is a JSON object: rows, bytes, seconds, rows_per_s, peak_rss_mb (and events).
            scripts/make-bench-binlog writes the reference file (100k inserts, 200k updates).
            """,
        flags: [.value("file", placeholder: "FILE", help: "the binlog file to decode")]
    ) { invocation in
        guard let file = invocation.arguments.value("file") else { throw UsageError("bench decode needs --file FILE") }
        let result = try DecodeBenchmark(decompressor: StandardDecompressor()).run(path: file)
        invocation.console.out("decoded \(result.events) events, \(result.rows) row changes, \(result.bytes) bytes")
        invocation.console.out(result.jsonLine)
        return .success
    }
}
