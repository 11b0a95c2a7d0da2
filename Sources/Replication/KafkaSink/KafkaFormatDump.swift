import Binlog
import Foundation
import Ops

/// `sluice binlog dump --format sluice|debezium|canal`: the row changes of binlog files, or of a
/// live server's transactions, as the Kafka sink's message values in that format, one per line.
/// For files the transaction's end is not known while reading, so `sluice.end`-derived fields
/// (Canal's `id`) hold the rows event's position; the version is not computed (no mappings).
package enum KafkaFormatDump {
    /// One line per row change of `files` (positions and table filter as in `BinlogDump`).
    package static func run(
        files: [String], format: KafkaConfig.MessageFormat, options: BinlogDump.Options,
        decompressor: (any BinlogDecompressor)?, textConverter: (any TextConverter)? = nil,
        now: () -> Date = Date.init, write: (String) -> Void
    ) throws(BinlogError) -> Int {
        var count = 0
        let context = KafkaChangeMessage.Context(format: format, processedMS: Int64(now().timeIntervalSince1970 * 1000))
        for (n, path) in files.enumerated() {
            let reader = try BinlogFileReader(path: path)
            var decoder = EventDecoder(file: reader.fileName, decompressor: decompressor, textConverter: textConverter)
            let start = n == 0 ? options.startPosition : nil
            let stop = n == files.count - 1 ? options.stopPosition : nil
            var gtid: String?
            var ordinal = 0
            var seeked = start == nil
            while let (pos, bytes) = try reader.next(), stop.map({ pos < $0 }) ?? true {
                let event = try decoder.decode(bytes, position: pos)
                if !seeked, let start {
                    // The FORMAT_DESCRIPTION is read first, then the reader jumps to the start.
                    seeked = true
                    if start > pos + UInt64(bytes.count) { try reader.seek(to: start) }
                    continue
                }
                switch event.body {
                case .mysqlGtid(let g): (gtid, ordinal) = (g.gtidText, 0)
                case .mariadbGtid(let g): (gtid, ordinal) = (g.gtid.description, 0)
                default: break
                }
                guard case .rows(let rows) = event.body, let table = decoder.tables[rows.tableID],
                    options.tables?.contains("\(table.schema).\(table.table)") ?? true
                else { continue }
                let place = BinlogPosition(file: reader.fileName, offset: pos)
                let origin = KafkaChangeMessage.Origin(
                    serverID: event.header.serverID, gtid: gtid, timestamp: event.header.timestamp, end: place)
                for change in changes(of: rows, table: table, gtid: gtid, at: place, firstOrdinal: ordinal) {
                    let message = KafkaChangeMessage(
                        change: change, origin: origin, version: nil, topic: "", context: context)
                    write(String(decoding: message.value ?? [], as: UTF8.self))
                    count += 1
                }
                ordinal += rows.rowCount
            }
        }
        return count
    }

    /// One line per row change of a live server's transaction (or chunk).
    package static func lines(_ t: PipelineTransaction, format: KafkaConfig.MessageFormat, processedMS: Int64)
        -> [String]
    {
        let context = KafkaChangeMessage.Context(format: format, processedMS: processedMS)
        return t.changes.map {
            let message = KafkaChangeMessage(change: $0, origin: t.origin, version: nil, topic: "", context: context)
            return String(decoding: message.value ?? [], as: UTF8.self)
        }
    }

    /// The changes of one rows event with the TABLE_MAP's column names, types and primary key.
    /// Columns absent from the image (binlog_row_image MINIMAL or NOBLOB) are left out; an update's
    /// before image is aligned to its after image's columns, null where it lacks one.
    static func changes(
        of rows: RowsEvent, table: TableMapEvent, gtid: String?, at place: BinlogPosition, firstOrdinal: Int
    )
        -> [RowChange]
    {
        let present = rows.kind == .delete ? rows.beforeColumns : rows.afterColumns
        let names = present.map(table.columnLabel)
        let keyNames = table.primaryKey.map { table.columnLabel($0.column) }
        let kind: RowChange.Kind = rows.kind == .write ? .insert : rows.kind == .update ? .update : .delete
        return (0..<rows.rowCount).map { i in
            RowChange(
                database: table.schema, table: table.table, kind: kind, columns: names,
                before: rows.kind == .write ? nil : aligned(rows.beforeRow(i), rows.beforeColumns, to: present),
                after: rows.kind == .delete ? nil : Array(rows.afterRow(i)),
                gtid: gtid.flatMap { MariaDBGTID(parsing: Substring($0)) }, ordinal: firstOrdinal + i, position: place,
                primaryKey: keyNames.compactMap { names.firstIndex(of: $0) },
                columnTypes: present.map {
                    $0 < table.columns.count ? table.columns[$0] : ColumnDefinition(type: .null)
                })
        }
    }

    private static func aligned(_ values: ArraySlice<ColumnValue>, _ columns: [Int], to present: [Int]) -> [ColumnValue]
    {
        guard columns != present else { return Array(values) }
        let row = Array(values)
        return present.map { c in columns.firstIndex(of: c).flatMap { $0 < row.count ? row[$0] : nil } ?? .null }
    }
}
