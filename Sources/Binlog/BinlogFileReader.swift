import Foundation

/// Reads the raw events of one binlog file, streaming from a `FileHandle` in chunks: memory stays
/// bounded by the largest event plus one chunk, never by the file size. Checks the magic header,
/// reports an event cut short by the end of the file as `.truncated` with its position.
package final class BinlogFileReader {
    package static let magic: [UInt8] = [0xFE, 0x62, 0x69, 0x6E]

    package let path: String
    /// The file's base name, used in error places.
    package let fileName: String
    private let handle: FileHandle
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// File position of `buffer[start]`.
    package private(set) var position: UInt64 = 0

    package init(path: String, chunkSize: Int = 1 << 16) throws(BinlogError) {
        self.path = path
        self.fileName = (path as NSString).lastPathComponent
        self.chunkSize = max(64, chunkSize)
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw BinlogError(.io, "cannot open \(path)", file: (path as NSString).lastPathComponent)
        }
        handle = h
        try fill(4)
        guard buffer.count - start >= 4, Array(buffer[start..<(start + 4)]) == Self.magic else {
            throw BinlogError(.badMagic, "not a binlog file: it does not start with the magic bytes FE 62 69 6E",
                              file: fileName, position: 0)
        }
        start += 4
        position = 4
    }

    deinit { try? handle.close() }

    /// Continues reading at `offset` (an event boundary, e.g. from `--start-position`).
    package func seek(to offset: UInt64) throws(BinlogError) {
        do {
            try handle.seek(toOffset: offset)
        } catch {
            throw BinlogError(.io, "cannot seek to \(offset): \(error)", file: fileName, position: offset)
        }
        buffer = []
        start = 0
        eof = false
        position = offset
    }

    /// The next whole event and its position, or nil at the clean end of the file.
    package func next() throws(BinlogError) -> (position: UInt64, bytes: [UInt8])? {
        try fill(EventHeader.length)
        let have = buffer.count - start
        if have == 0 { return nil }
        guard have >= EventHeader.length else {
            throw BinlogError(.truncated, "file ends inside an event header (\(have) of \(EventHeader.length) bytes)",
                              file: fileName, position: position)
        }
        let size = Int(UInt32(buffer[start + 9]) | UInt32(buffer[start + 10]) << 8
                       | UInt32(buffer[start + 11]) << 16 | UInt32(buffer[start + 12]) << 24)
        guard size >= EventHeader.length else {
            throw BinlogError(.malformed, "event size \(size) is smaller than the 19-byte header",
                              eventType: buffer[start + 4], file: fileName, position: position, offset: 9)
        }
        try fill(size)
        let got = buffer.count - start
        guard got >= size else {
            throw BinlogError(.truncated, "file ends inside the event: \(got) of \(size) bytes",
                              eventType: buffer[start + 4], file: fileName, position: position)
        }
        let event = Array(buffer[start..<(start + size)])
        let at = position
        start += size
        position += UInt64(size)
        return (at, event)
    }

    /// Reads chunks until `n` bytes are buffered after `start` or the file ends.
    private func fill(_ n: Int) throws(BinlogError) {
        while buffer.count - start < n && !eof {
            if start > 0 && start >= buffer.count / 2 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let want = max(chunkSize, n - (buffer.count - start))
            let data: Data?
            do {
                data = try handle.read(upToCount: want)
            } catch {
                throw BinlogError(.io, "read failed: \(error)", file: fileName, position: position)
            }
            guard let data, !data.isEmpty else {
                eof = true
                break
            }
            buffer.append(contentsOf: data)
        }
    }
}

/// A binlog file decoded event by event: `BinlogFileReader` plus an `EventDecoder`.
package struct BinlogFileEvents {
    package let reader: BinlogFileReader
    package var decoder: EventDecoder

    package init(path: String, decompressor: (any BinlogDecompressor)? = nil) throws(BinlogError) {
        reader = try BinlogFileReader(path: path)
        decoder = EventDecoder(file: reader.fileName, decompressor: decompressor)
    }

    package mutating func next() throws(BinlogError) -> Event? {
        guard let (pos, bytes) = try reader.next() else { return nil }
        return try decoder.decode(bytes, position: pos)
    }
}
