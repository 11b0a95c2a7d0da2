/// Which server wrote the binlog; decides event numbering quirks and the checksum version split.
package enum ServerFlavour: String, Sendable, Equatable {
    case mysql
    case mariadb
}

/// The checksum algorithm named by FORMAT_DESCRIPTION (`binlog_checksum`).
package enum ChecksumAlgorithm: Sendable, Equatable {
    case off
    case crc32
    /// Servers before the checksum feature (no algorithm byte) or BINLOG_CHECKSUM_ALG_UNDEF (255).
    case undefined
    case other(UInt8)

    init(code: UInt8) {
        switch code {
        case 0: self = .off
        case 1: self = .crc32
        case 255: self = .undefined
        default: self = .other(code)
        }
    }

    /// Bytes of checksum at the end of every event.
    package var trailerLength: Int { self == .crc32 ? 4 : 0 }
}

/// FORMAT_DESCRIPTION_EVENT (15): binlog version 4, server version (50 bytes, NUL padded), create
/// timestamp, common header length, one post-header length per event type, then (servers with
/// checksums: MySQL 5.6.1+, MariaDB 5.3+) the checksum algorithm byte and the event's own CRC32.
package struct FormatDescription: Sendable, Equatable {
    package var binlogVersion: UInt16
    package var serverVersion: String
    package var createTimestamp: UInt32
    package var headerLength: UInt8
    /// Index `t - 1` holds the post-header length of event type `t`.
    package var postHeaderLengths: [UInt8]
    package var checksum: ChecksumAlgorithm
    package var flavour: ServerFlavour

    package init(binlogVersion: UInt16, serverVersion: String, createTimestamp: UInt32, headerLength: UInt8,
                postHeaderLengths: [UInt8], checksum: ChecksumAlgorithm, flavour: ServerFlavour) {
        self.binlogVersion = binlogVersion
        self.serverVersion = serverVersion
        self.createTimestamp = createTimestamp
        self.headerLength = headerLength
        self.postHeaderLengths = postHeaderLengths
        self.checksum = checksum
        self.flavour = flavour
    }

    /// What a decoder assumes before it has seen a FORMAT_DESCRIPTION (MySQL 5.x/8.x v4 defaults).
    package static func assumed(checksum: ChecksumAlgorithm = .off, flavour: ServerFlavour = .mysql) -> FormatDescription {
        FormatDescription(binlogVersion: 4, serverVersion: "", createTimestamp: 0, headerLength: 19,
                          postHeaderLengths: [], checksum: checksum, flavour: flavour)
    }

    /// Post-header length the server declared for a type code; `fallback` when the table is short.
    package func postHeaderLength(_ code: UInt8, fallback: Int) -> Int {
        let i = Int(code) - 1
        guard i >= 0, i < postHeaderLengths.count else { return fallback }
        return Int(postHeaderLengths[i])
    }

    /// (major, minor, patch) from a version string such as "10.11.6-MariaDB-log" or "5.7.21-log".
    static func versionTriple(_ s: String) -> (Int, Int, Int) {
        var parts: [Int] = []
        var cur = 0
        var inNumber = false
        for ch in s.utf8 {
            if ch >= 0x30 && ch <= 0x39 {
                cur = min(cur * 10 + Int(ch - 0x30), 1_000_000)
                inNumber = true
            } else {
                if inNumber { parts.append(cur) }
                cur = 0
                inNumber = false
                if ch != 0x2E || parts.count >= 3 { break }
            }
        }
        if inNumber && parts.count < 3 { parts.append(cur) }
        while parts.count < 3 { parts.append(0) }
        return (parts[0], parts[1], parts[2])
    }

    static func decode(body r: inout ByteReader) throws(FieldError) -> FormatDescription {
        let version = try r.readUInt16LE("binlog version")
        let raw = try r.readBytes(50, "server version")
        let text = raw.prefix { $0 != 0 }
        let serverVersion = String(decoding: text, as: UTF8.self)
        let created = try r.readUInt32LE("create timestamp")
        let headerLength = try r.readUInt8("header length")
        guard headerLength >= 19 else {
            throw FieldError(.invalid, "common header length \(headerLength) < 19", offset: r.offset - 1)
        }
        let flavour: ServerFlavour = serverVersion.contains("MariaDB") ? .mariadb : .mysql
        let (a, b, c) = versionTriple(serverVersion)
        let v = a * 10_000 + b * 100 + c
        let hasChecksumByte = flavour == .mariadb ? v >= 50_300 : v >= 50_601
        var checksum = ChecksumAlgorithm.undefined
        let lengths: [UInt8]
        if hasChecksumByte {
            guard r.remaining >= 5 else {
                throw FieldError(.short, "checksum algorithm and CRC: expected 5 bytes, had \(r.remaining)", offset: r.offset)
            }
            lengths = try r.readBytes(r.remaining - 5, "post-header lengths")
            checksum = ChecksumAlgorithm(code: try r.readUInt8("checksum algorithm"))
            try r.skip(4, "format description checksum")
        } else {
            lengths = r.readRest()
        }
        return FormatDescription(binlogVersion: version, serverVersion: serverVersion, createTimestamp: created,
                                 headerLength: headerLength, postHeaderLengths: lengths, checksum: checksum,
                                 flavour: flavour)
    }
}
