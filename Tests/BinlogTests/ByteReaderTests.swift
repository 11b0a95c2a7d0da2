import XCTest
@testable import Binlog

final class ByteReaderTests: XCTestCase {
    func testLittleEndianAndShortReadKeepsCursor() throws {
        var r = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05])
        XCTAssertEqual(try r.readUInt16LE(), 0x0201)
        XCTAssertEqual(try r.readUInt24LE(), 0x050403)
        XCTAssertThrowsError(try r.readUInt8()) { e in
            XCTAssertEqual((e as? FieldError)?.code, .short)
        }
        XCTAssertEqual(r.offset, 5)
        var r2 = ByteReader([0xFC, 0x01])
        XCTAssertThrowsError(try r2.readLengthEncodedInt())
        XCTAssertEqual(r2.offset, 0)
    }
}
