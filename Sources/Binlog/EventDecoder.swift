/// Decodes raw events (header, body, checksum) with an explicit context: the current format
/// description (checksum algorithm, post-header lengths, flavour), the table-id map, the file name
/// for error places, and an optional decompressor. Feed events in binlog order; FORMAT_DESCRIPTION
/// and TABLE_MAP update the context.
package struct EventDecoder: Sendable {
    package var file: String
    package var format: FormatDescription
    /// Table id -> latest TABLE_MAP for it.
    package var tables: [UInt64: TableMapEvent] = [:]
    /// Events of types this decoder does not interpret, per type code.
    package private(set) var unknownCounts: [UInt8: Int] = [:]
    package var verifyChecksums = true
    package var decompressor: (any BinlogDecompressor)?
    /// Turns text in multi-byte CJK charsets into strings (else such text stays bytes).
    package var textConverter: (any TextConverter)?
    private let crc = CRC32()

    package init(file: String = "", format: FormatDescription = .assumed(), decompressor: (any BinlogDecompressor)? = nil,
                textConverter: (any TextConverter)? = nil) {
        self.file = file
        self.format = format
        self.decompressor = decompressor
        self.textConverter = textConverter
    }

    package var flavour: ServerFlavour { format.flavour }

    /// Decodes one whole event (`bytes` holds exactly the event) that starts at `position` in `file`.
    package mutating func decode(_ bytes: [UInt8], position: UInt64) throws(BinlogError) -> Event {
        var r = ByteReader(bytes)
        let header: EventHeader
        do throws(FieldError) {
            header = try EventHeader.decode(from: &r)
        } catch {
            throw BinlogError(.truncated, "event header: \(error.message)", file: file, position: position,
                              offset: error.offset, field: error)
        }
        let type = header.typeCode
        guard Int(header.eventSize) == bytes.count else {
            throw BinlogError(bytes.count < Int(header.eventSize) ? .truncated : .malformed,
                              "event size \(header.eventSize) in header but \(bytes.count) bytes given",
                              eventType: type, file: file, position: position, offset: 9)
        }
        do {
            let isFDE = type == EventType.formatDescription.rawValue
            var checksum = format.checksum
            if isFDE {
                var fr = ByteReader(bytes, offset: EventHeader.length)
                checksum = try FormatDescription.decode(body: &fr).checksum
            }
            let trailer = checksum.trailerLength
            let headerLength = isFDE ? EventHeader.length : Int(format.headerLength)
            guard bytes.count >= headerLength + trailer else {
                throw FieldError(.short, "event of \(bytes.count) bytes is shorter than header and checksum", offset: 0)
            }
            if trailer > 0 && verifyChecksums { try verifyCRC(bytes, type: type, position: position, isFDE: isFDE) }
            // FORMAT_DESCRIPTION reads its own algorithm byte and checksum.
            var body = ByteReader(bytes, offset: headerLength, end: bytes.count - (isFDE ? 0 : trailer))
            let decoded =
                type == EventType.transactionPayload.rawValue
                ? try decodePayload(&body, header: header, position: position)
                : try decodeBody(&body, header: header)
            guard body.isAtEnd else {
                throw BinlogError(.leftoverBytes, "\(body.remaining) bytes left after the last field",
                                  eventType: type, file: file, position: position, offset: body.offset)
            }
            switch decoded {
            case .formatDescription(let f): format = f
            case .tableMap(let t): tables[t.tableID] = t
            case .unknown(let t): unknownCounts[t, default: 0] += 1
            default: break
            }
            return Event(header: header, position: position, body: decoded)
        } catch let e as BinlogError {
            throw e
        } catch let e as FieldError {
            throw BinlogError(e.code == .unsupported ? .unsupported : .malformed,
                              e.message, eventType: type, file: file, position: position, offset: e.offset, field: e)
        } catch {
            throw BinlogError(.malformed, "\(error)", eventType: type, file: file, position: position)
        }
    }

    /// The server computes a FORMAT_DESCRIPTION's checksum with LOG_EVENT_BINLOG_IN_USE_F (flags bit
    /// 0) clear, and sets/clears that bit in place while the file is open, so it is masked here.
    private func verifyCRC(_ bytes: [UInt8], type: UInt8, position: UInt64, isFDE: Bool) throws(BinlogError) {
        let n = bytes.count
        let stored = UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24
        let computed: UInt32
        if isFDE && bytes[17] & 1 != 0 {
            var copy = bytes
            copy[17] &= 0xFE
            computed = crc.checksum(copy, 0..<(n - 4))
        } else {
            computed = crc.checksum(bytes, 0..<(n - 4))
        }
        guard stored == computed else {
            throw BinlogError(.checksumMismatch,
                              "CRC32 mismatch: event says 0x\(String(stored, radix: 16)), bytes give 0x\(String(computed, radix: 16))",
                              eventType: type, file: file, position: position, offset: n - 4)
        }
    }

    private var inflater: (ArraySlice<UInt8>) throws(FieldError) -> [UInt8] {
        let d = decompressor
        return { (payload: ArraySlice<UInt8>) throws(FieldError) -> [UInt8] in
            try MariaDBCompressedPayload.inflate(payload, with: d)
        }
    }

    /// TRANSACTION_PAYLOAD: the payload's events, decompressed and decoded; no checksum, each at
    /// the payload event's position; their TABLE_MAPs join this decoder's table map.
    private mutating func decodePayload(_ body: inout ByteReader, header: EventHeader, position: UInt64) throws
        -> EventBody
    {
        let (compression, bytes) = try TransactionPayloadEvent.payloadBytes(body: &body, decompressor: decompressor)
        var inner = EventDecoder(file: file, format: format, decompressor: decompressor, textConverter: textConverter)
        inner.format.checksum = .off
        inner.tables = tables
        var events: [Event] = []
        var r = ByteReader(bytes)
        while !r.isAtEnd {
            let at = r.offset
            let slice: ArraySlice<UInt8>
            do throws(FieldError) {
                var h = ByteReader(bytes, offset: at)
                let size = Int(try EventHeader.decode(from: &h).eventSize)
                guard size >= EventHeader.length, size <= r.remaining else {
                    throw FieldError(.short, "inner event of \(size) bytes, \(r.remaining) left in the payload", offset: at)
                }
                slice = try r.readSlice(size, "inner event")
            } catch {
                throw BinlogError(
                    .malformed, "TRANSACTION_PAYLOAD: \(error.message) (payload offset \(at))", eventType: header.typeCode,
                    file: file, position: position, field: error)
            }
            do {
                events.append(try inner.decode(Array(slice), position: position))
            } catch {
                throw BinlogError(
                    error.code, "inside TRANSACTION_PAYLOAD at payload offset \(at): \(error.message)",
                    eventType: error.eventType, file: file, position: position, offset: error.offset, field: error.field)
            }
        }
        tables = inner.tables
        for (type, count) in inner.unknownCounts { unknownCounts[type, default: 0] += count }
        return .transactionPayload(
            TransactionPayloadEvent(compression: compression, uncompressedSize: bytes.count, events: events))
    }

    private func decodeBody(_ r: inout ByteReader, header: EventHeader) throws(FieldError) -> EventBody {
        let code = header.typeCode
        let post = { (fallback: Int) in format.postHeaderLength(code, fallback: fallback) }
        guard let type = EventType(rawValue: code) else {
            try r.skip(r.remaining)
            return .unknown(type: code)
        }
        switch type {
        case .formatDescription: return .formatDescription(try FormatDescription.decode(body: &r))
        case .rotate: return .rotate(try RotateEvent.decode(body: &r, postHeaderLength: post(8)))
        case .query: return .query(try QueryEvent.decode(body: &r, postHeaderLength: post(13), inflate: nil))
        case .queryCompressed:
            return .query(try QueryEvent.decode(body: &r, postHeaderLength: post(13), inflate: inflater))
        case .stop: return .stop
        case .intvar: return .intvar(try IntvarEvent.decode(body: &r))
        case .rand: return .rand(try RandEvent.decode(body: &r))
        case .userVar: return .userVar(try UserVarEvent.decode(body: &r))
        case .xid: return .xid(try r.readUInt64LE("xid"))
        case .xaPrepare: return .xaPrepare(try XAPrepareEvent.decode(body: &r))
        case .tableMap:
            return .tableMap(try TableMapEvent.decode(body: &r, postHeaderLength: post(8), flavour: format.flavour))
        case .writeRowsV1, .updateRowsV1, .deleteRowsV1, .writeRowsV2, .updateRowsV2, .deleteRowsV2,
             .partialUpdateRows:
            return .rows(try RowsEvent.decode(body: &r, typeCode: code, postHeaderLength: post(code >= 30 ? 10 : 8),
                                              tables: tables, inflate: nil, converter: textConverter))
        case .writeRowsCompressedV1, .updateRowsCompressedV1, .deleteRowsCompressedV1,
             .writeRowsCompressed, .updateRowsCompressed, .deleteRowsCompressed:
            return .rows(try RowsEvent.decode(body: &r, typeCode: code, postHeaderLength: post(code >= 169 ? 10 : 8),
                                              tables: tables, inflate: inflater, converter: textConverter))
        case .incident: return .incident(try IncidentEvent.decode(body: &r))
        case .heartbeat: return .heartbeat(try HeartbeatEvent.decodeV1(body: &r, header: header))
        case .heartbeatV2: return .heartbeat(try HeartbeatEvent.decodeV2(body: &r))
        case .rowsQuery:
            try r.skip(1, "rows query length")  // one byte, truncated at 255; the text runs to the end
            return .rowsQuery(r.readRest())
        case .gtid, .anonymousGtid:
            return .mysqlGtid(try MySQLGtidEvent.decode(body: &r, anonymous: type == .anonymousGtid))
        case .previousGtids: return .previousGtids(try MySQLGTIDSet.decodeEncoded(from: &r))
        case .transactionPayload:
            // Decoded by `decode` (`decodePayload`), which owns the table map.
            throw FieldError(.invalid, "TRANSACTION_PAYLOAD outside decode", offset: r.offset)
        case .gtidTagged: return .mysqlGtid(try GtidTaggedEvent.decode(body: &r))
        case .annotateRows: return .annotateRows(r.readRest())
        case .binlogCheckpoint:
            let n = Int(try r.readUInt32LE("checkpoint file name length"))
            return .binlogCheckpoint(file: try r.readUTF8(n, "checkpoint file name"))
        case .mariadbGtid: return .mariadbGtid(try MariaDBGtidEvent.decode(body: &r, serverID: header.serverID))
        case .mariadbGtidList: return .mariadbGtidList(try MariaDBGtidListEvent.decode(body: &r))
        case .startEncryption: try UnsupportedEvents.startEncryption(body: &r)
        case .unknown, .startV3, .load, .slave, .createFile, .appendBlock, .execLoad, .deleteFile, .newLoad,
             .beginLoadQuery, .executeLoadQuery, .preGAWriteRows, .preGAUpdateRows, .preGADeleteRows, .ignorable,
             .transactionContext, .viewChange:
            try r.skip(r.remaining)
            return .unknown(type: code)
        }
    }
}
