import Binlog
import Foundation

/// The raw TABLE_MAP and ROWS events of one XA transaction being prepared, in a temp file, so a
/// huge prepared transaction costs no memory while it waits for its XA COMMIT. Each record is a
/// 4-byte little-endian length and the event bytes as read. The file is only a cache (a restart
/// reads the XA PREPARE again from the held checkpoint) and is deleted when this object goes.
final class XASpillFile {
    let path: String
    /// The decoder when the group began: same format and checksums, to decode the events again.
    let decoder: EventDecoder
    private let handle: FileHandle
    private(set) var events = 0

    init(directory: String, decoder: EventDecoder) throws(SourceError) {
        path = (directory as NSString).appendingPathComponent("sluice-xa-\(UUID().uuidString).events")
        self.decoder = decoder
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forUpdatingAtPath: path)
        else {
            throw SourceError(.spill, "cannot create the XA spill file", place: path)
        }
        self.handle = handle
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    func append(_ raw: [UInt8]) throws(SourceError) {
        let size = UInt32(raw.count)
        var record = [UInt8(size & 0xff), UInt8(size >> 8 & 0xff), UInt8(size >> 16 & 0xff), UInt8(size >> 24)]
        record += raw
        do {
            try handle.write(contentsOf: record)
        } catch {
            throw SourceError(.spill, "writing event \(events + 1): \(error)", place: path)
        }
        events += 1
    }

    /// The events in the order written, one at a time (from the start: call once).
    func reader() throws(SourceError) -> Reader {
        do {
            try handle.seek(toOffset: 0)
        } catch {
            throw SourceError(.spill, "rewinding: \(error)", place: path)
        }
        return Reader(file: self, handle: handle)
    }

    struct Reader {
        let file: XASpillFile
        let handle: FileHandle
        var read = 0

        /// The next event's bytes; nil after the last.
        mutating func next() throws(SourceError) -> [UInt8]? {
            guard read < file.events else { return nil }
            let place = "\(file.path) event \(read + 1)"
            do {
                var length = ByteReader(Array(try handle.read(upToCount: 4) ?? Data()))
                let size = Int(try length.readUInt32LE("record length"))
                var body = ByteReader(Array(try handle.read(upToCount: size) ?? Data()))
                let bytes = try body.readBytes(size, "event bytes")
                read += 1
                return bytes
            } catch let error as FieldError {
                throw SourceError(.spill, "truncated: \(error.message)", place: place)
            } catch {
                throw SourceError(.spill, "reading: \(error)", place: place)
            }
        }
    }
}

/// Hands out the rows of a committed XA transaction whose prepared rows were spilled, in chunks of
/// `chunkRows`; the last chunk is `commit` itself (its checkpoint, isLast) with the final rows.
final class XASpillDrain {
    private let file: XASpillFile
    private var reader: XASpillFile.Reader
    private var decoder: EventDecoder
    private let commit: SourceTransaction
    private let chunkRows: Int
    private var maps: [UInt64: TableMapEvent] = [:]
    private var buffer: [RowChange] = []
    private var chunk = 0
    private var finished = false

    init(_ file: XASpillFile, commit: SourceTransaction, chunkRows: Int) throws(SourceError) {
        self.file = file
        reader = try file.reader()
        decoder = file.decoder
        self.commit = commit
        self.chunkRows = max(1, chunkRows)
    }

    /// The next chunk; nil once the last one was handed out.
    func next(schema: (TableMapEvent) throws(SourceError) -> TableSchema) throws(SourceError) -> SourceTransaction? {
        if finished { return nil }
        while buffer.count <= chunkRows, let raw = try reader.next() {
            let place = "\(file.path) event \(reader.read)"
            let event: Event
            do {
                event = try decoder.decode(raw, position: 0)
            } catch {
                throw SourceError(.decode, error.description, place: place, decode: error)
            }
            switch event.body {
            case .tableMap(let map):
                maps[map.tableID] = map
            case .rows(let rows):
                guard let map = maps[rows.tableID] else {
                    throw SourceError(.decode, "rows for table id \(rows.tableID) without its TABLE_MAP", place: place)
                }
                buffer += try RowChange.changes(of: rows, table: try schema(map), map: map, place: place)
            default:
                continue
            }
        }
        defer { chunk += 1 }
        if buffer.count > chunkRows {
            let rows = Array(buffer.prefix(chunkRows))
            buffer.removeFirst(chunkRows)
            return SourceTransaction(
                gtid: commit.gtid, xid: commit.xid, changes: rows, chunk: chunk, isLast: false, start: commit.start,
                end: commit.start, timestamp: commit.timestamp, checkpoint: nil)
        }
        finished = true
        var last = commit
        last.changes = buffer
        last.chunk = chunk
        buffer = []
        return last
    }
}
