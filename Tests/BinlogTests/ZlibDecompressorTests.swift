import BinlogCompression
import Foundation
import XCTest

@testable import Binlog

/// The zlib half of MariaDB compressed events: exact sizes, corrupt streams, and the framing
/// checks done before any inflating (header byte, impossible ratios).
final class ZlibDecompressorTests: XCTestCase {
    /// The compressed QUERY of the captured fixture: header 0x80|n, length, zlib stream.
    private func capturedPayload() throws -> ArraySlice<UInt8> {
        let r = try BinlogFileReader(path: FixturePaths.capturedDir.appendingPathComponent("mariadb/compressed.000002.bin").path)
        while let (_, bytes) = try r.next() {
            if bytes[4] == 165 {
                // post-header 13, status vars, schema "fx" + NUL, then the payload up to the CRC.
                let statusLength = Int(bytes[19 + 11]) | Int(bytes[19 + 12]) << 8
                let start = 19 + 13 + statusLength + Int(bytes[19 + 8]) + 1
                return bytes[start..<(bytes.count - 4)]
            }
        }
        throw XCTSkip("no QUERY_COMPRESSED_EVENT in the fixture")
    }

    func testInflatesTheCapturedQuery() throws {
        let payload = try capturedPayload()
        let sql = try MariaDBCompressedPayload.inflate(payload, with: ZlibDecompressor())
        XCTAssertTrue(String(decoding: sql, as: UTF8.self).hasPrefix("CREATE TABLE big"))
    }

    func testCorruptStreamAndWrongLengthAreTypedErrors() throws {
        var payload = Array(try capturedPayload())
        payload[payload.count - 3] ^= 0xFF
        XCTAssertThrowsError(try MariaDBCompressedPayload.inflate(payload[...], with: ZlibDecompressor())) { e in
            XCTAssertEqual((e as? FieldError)?.message, "inflating compressed event: zlib: corrupt or incomplete data")
        }
        let z = ZlibDecompressor()
        let good = Array(try capturedPayload())
        let n = Int(good[0] & 7)
        XCTAssertThrowsError(try z.inflate(good[(1 + n)...], uncompressedLength: 5)) { e in
            XCTAssertEqual((e as? FieldError)?.message, "zlib: data inflates to more than the announced 5 bytes")
        }
    }

    func testFramingIsCheckedBeforeInflating() {
        XCTAssertThrowsError(try MariaDBCompressedPayload.inflate([0x05, 1, 2][...], with: ZlibDecompressor())) { e in
            XCTAssertEqual((e as? FieldError)?.message, "compressed header byte 0x5 is not 0x80|1...4")
        }
        // 4 GiB announced from 3 bytes of zlib data: refused without allocating.
        XCTAssertThrowsError(try MariaDBCompressedPayload.inflate([0x84, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3][...],
                                                                  with: ZlibDecompressor())) { e in
            XCTAssertEqual((e as? FieldError)?.message, "uncompressed length 4294967295 impossible for 3 compressed bytes")
        }
    }
}
