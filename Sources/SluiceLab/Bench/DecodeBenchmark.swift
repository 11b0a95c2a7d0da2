import Binlog
import Foundation

/// `sluice bench decode`: decodes every event of a binlog file on one thread, every row into typed
/// `ColumnValue`s, and reports throughput. Reading is streamed (`BinlogFileReader`), so the peak
/// RSS reflects the decoder, not the file size.
package struct DecodeBenchmark {
    package struct Result: Sendable, Equatable {
        package var events: Int
        package var rows: Int
        package var bytes: UInt64
        package var seconds: Double
        package var peakRSSMegabytes: Double?

        package var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }

        /// `{"rows":..,"bytes":..,"seconds":..,"rows_per_s":..,"peak_rss_mb":..}`
        package var jsonLine: String {
            let rss = peakRSSMegabytes.map { String(format: "%.1f", $0) } ?? "null"
            return "{\"rows\":\(rows),\"bytes\":\(bytes),\"seconds\":\(String(format: "%.4f", seconds)),"
                + "\"rows_per_s\":\(Int(rowsPerSecond.rounded())),\"peak_rss_mb\":\(rss),\"events\":\(events)}"
        }
    }

    package var decompressor: (any BinlogDecompressor)?

    package init(decompressor: (any BinlogDecompressor)? = nil) {
        self.decompressor = decompressor
    }

    package func run(path: String) throws(BinlogError) -> Result {
        let clock = ContinuousClock()
        let started = clock.now
        let reader = try BinlogFileReader(path: path)
        var decoder = EventDecoder(file: reader.fileName, decompressor: decompressor)
        var events = 0, rows = 0
        var bytes: UInt64 = 4
        while let (pos, raw) = try reader.next() {
            let e = try decoder.decode(raw, position: pos)
            events += 1
            bytes += UInt64(raw.count)
            if case .rows(let r) = e.body { rows += r.rowCount }
        }
        let d = clock.now - started
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return Result(events: events, rows: rows, bytes: bytes, seconds: seconds, peakRSSMegabytes: Self.peakRSS())
    }

    /// VmHWM from /proc/self/status (Linux), in MiB; nil elsewhere.
    static func peakRSS() -> Double? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter(\.isNumber)
            if let kb = Double(String(digits)) { return kb / 1024 }
        }
        return nil
    }
}
