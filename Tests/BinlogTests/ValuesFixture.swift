import Foundation
import XCTest

@testable import Binlog

/// One table of Tests/BinlogTests/Fixtures/values/*.txt, written by scripts/capture-value-fixtures
/// from a real MariaDB 10.11 binlog (the SQL that produced each file is at its top).
struct ValuesFixture {
    var types: [ColumnType]
    var metadataBlock: [UInt8]
    var nullable: [UInt8]
    /// Row images: null bitmap, then the non-NULL values.
    var rows: [[UInt8]]
    /// Only for the >16 MiB blob: the captured head (null bitmap, id, length prefix).
    var rowHeads: [[UInt8]]

    static func load(_ name: String) throws -> ValuesFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/values/\(name).txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var f = ValuesFixture(types: [], metadataBlock: [], nullable: [], rows: [], rowHeads: [])
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            let key = String(parts[0])
            let bytes = try hex(parts.count > 1 ? String(parts[1]) : "")
            switch key {
            case "types": f.types = try bytes.map { b in try XCTUnwrap(ColumnType(rawValue: b), "type \(b)") }
            case "metadata": f.metadataBlock = bytes
            case "nullable": f.nullable = bytes
            case "row": f.rows.append(bytes)
            case "rowhead": f.rowHeads.append(bytes)
            default: break
            }
        }
        return f
    }

    /// Column definitions from the captured types and metadata block; `adjust` adds what the
    /// optional metadata says (signedness, collation, member names), stated in each test.
    func columns(_ adjust: (Int, inout ColumnDefinition) -> Void = { _, _ in }) throws -> [ColumnDefinition] {
        var r = ByteReader(metadataBlock)
        let meta = try ColumnDefinition.parseMetadata(types: types, from: &r)
        XCTAssertTrue(r.isAtEnd, "metadata block fully consumed")
        return types.indices.map { i in
            var d = ColumnDefinition(type: types[i], metadata: meta[i])
            adjust(i, &d)
            return d
        }
    }

    /// Decodes a full row image (all columns present): the null bitmap, then each value. Also
    /// returns each non-NULL value's byte range, for the truncation tests.
    static func decodeRow(_ row: [UInt8], _ columns: [ColumnDefinition]) throws -> (
        values: [ColumnValue], ranges: [Range<Int>]
    ) {
        var r = ByteReader(row)
        let bitmap = try r.readBytes((columns.count + 7) / 8)
        var values: [ColumnValue] = []
        var ranges: [Range<Int>] = []
        for (i, c) in columns.enumerated() {
            if bitmap[i / 8] & (1 << (i % 8)) != 0 {
                values.append(.null)
                continue
            }
            let start = r.offset
            values.append(try c.decodeValue(from: &r))
            ranges.append(start..<r.offset)
        }
        XCTAssertTrue(r.isAtEnd, "row image fully consumed, \(r.remaining) bytes left")
        // The rows-event decoder reads images through its per-event column plan (fast paths for
        // the common types): the same bytes must give the same values.
        let table = TableMapEvent(tableID: 1, schema: "s", table: "t", columns: columns)
        let plan = RowImagePlan(columns, present: Array(columns.indices))
        var pr = ByteReader(row)
        var planned: [ColumnValue] = []
        try columns.withUnsafeBufferPointer { defs in
            try plan.decodeImage(&pr, defs, into: &planned, table: table, diffs: [], converter: nil)
        }
        XCTAssertEqual(planned, values, "row image through RowImagePlan")
        XCTAssertTrue(pr.isAtEnd, "RowImagePlan consumed the row image, \(pr.remaining) bytes left")
        return (values, ranges)
    }

    private static func hex(_ s: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count / 2)
        var it = s.utf8.makeIterator()
        while let a = it.next() {
            let b = try XCTUnwrap(it.next(), "odd hex length")
            out.append(try XCTUnwrap(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)))
        }
        return out
    }
}
