/// The decoder's fuzzing entry point (scripts/fuzz-decoder links it into a libFuzzer harness; the
/// regression test replays saved inputs through it). The first byte picks the assumed format
/// (MySQL or MariaDB); the rest is read as a run of events by their size fields, each decoded with
/// checksums unchecked so mutations reach the body decoders. Whatever the bytes, every call must
/// end in an event or a typed `BinlogError`.
package enum FuzzEntry {
    package static func run(_ data: [UInt8]) -> (events: Int, errors: Int) {
        guard let mode = data.first else { return (0, 0) }
        let bytes = Array(data.dropFirst())
        var d = EventDecoder(file: "fuzz", format: .assumed(flavour: mode & 1 == 0 ? .mysql : .mariadb))
        d.verifyChecksums = mode & 2 != 0
        var events = 0, errors = 0
        var off = 0
        while off < bytes.count {
            var size = bytes.count - off
            if size >= EventHeader.length {
                let claimed = Int(bytes[off + 9]) | Int(bytes[off + 10]) << 8 | Int(bytes[off + 11]) << 16
                    | Int(bytes[off + 12]) << 24
                if claimed >= EventHeader.length { size = min(size, claimed) }
            }
            do {
                _ = try d.decode(Array(bytes[off..<(off + size)]), position: UInt64(off + 4))
                events += 1
            } catch {
                errors += 1
            }
            off += size
        }
        return (events, errors)
    }
}
