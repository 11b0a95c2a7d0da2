import CMariaDB

/// What one packet of a binlog dump holds.
enum DumpPacket: Equatable {
    /// An event's bytes (header, body, checksum), without the leading OK byte.
    case event([UInt8])
    /// The EOF packet that ends a non-blocking dump at the end of the binlog.
    case endOfBinlog
}

/// The replica side of the protocol over libmariadb's public API: commands go out through the
/// handle's `db_command` method (what `mariadb_rpl_open` uses too) and packets come back with
/// `mysql_net_read_packet`, which reassembles packets over 16 MiB and turns an ERR packet into
/// `mysql_errno`/`mysql_error`. Every byte of a packet is then read by Swift code.
extension MySQLConnection {
    /// COM_BINLOG_DUMP_GTID (0x1e), MySQL's; Connector/C's enum calls this code COM_UNSUPPORTED.
    static let binlogDumpGTID = enum_server_command(rawValue: 0x1e)

    /// The server's id for this session (for `KILL`, and in logs).
    package var threadID: UInt64 { UInt64(mysql_thread_id(handle)) }

    /// Sends `command` with `body`. With `expectOK` the server's OK/ERR answer is read too.
    func send(_ command: enum_server_command, _ body: [UInt8], expectOK: Bool, context: String) throws(MySQLError) {
        guard let methods = handle.pointee.methods, let dbCommand = methods.pointee.db_command else {
            throw MySQLError(
                operation: .query, code: 0, sqlState: "HY000", message: "libmariadb has no db_command method",
                context: context)
        }
        let status = body.withUnsafeBufferPointer { buffer in
            UnsafeRawBufferPointer(buffer).withMemoryRebound(to: CChar.self) { chars in
                dbCommand(handle, command, chars.baseAddress, chars.count, expectOK ? 0 : 1, nil)
            }
        }
        if status != 0 {
            throw Self.error(of: handle, operation: .query, context: context)
        }
    }

    /// Reads the next packet of a binlog dump.
    func readDumpPacket(context: String) throws(MySQLError) -> DumpPacket {
        let length = mysql_net_read_packet(handle)
        // libmariadb's packet_error is (unsigned int)-1, widened to unsigned long.
        if length == UInt(UInt32.max) || length == UInt.max || length == 0 {
            throw Self.error(of: handle, operation: .fetch, context: context)
        }
        guard let start = handle.pointee.net.read_pos else {
            throw MySQLError(
                operation: .fetch, code: 2027, sqlState: "HY000", message: "no packet buffer", context: context)
        }
        let packet = UnsafeBufferPointer(start: start, count: Int(length))
        switch packet[0] {
        case 0x00:
            return .event(Array(packet.dropFirst()))
        case 0xFE where length < 9:
            return .endOfBinlog
        default:
            throw MySQLError(
                operation: .fetch, code: 2027, sqlState: "HY000",
                message: "malformed binlog dump packet: first byte 0x\(String(packet[0], radix: 16)), \(length) bytes",
                context: context)
        }
    }
}
