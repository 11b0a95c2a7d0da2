import XCTest

@testable import RedisCluster

final class HashSlotTests: XCTestCase {
    func testCRC16KnownVector() {
        XCTAssertEqual(HashSlot.crc16(Array("123456789".utf8)), 0x31C3)
        XCTAssertEqual(HashSlot.crc16([UInt8]()), 0)
    }

    func testSlotsMatchRedis() {
        // Values from CLUSTER KEYSLOT on redis-server 7.0.
        XCTAssertEqual(HashSlot.slot(of: "foo"), 12182)
        XCTAssertEqual(HashSlot.slot(of: "bar"), 5061)
        XCTAssertEqual(HashSlot.slot(of: "123456789"), 0x31C3 & 0x3FFF)
    }

    func testHashTags() {
        XCTAssertEqual(HashSlot.slot(of: "{user1000}.following"), HashSlot.slot(of: "{user1000}.followers"))
        XCTAssertEqual(HashSlot.slot(of: "{user1000}.following"), HashSlot.slot(of: "user1000"))
        // Empty tag: the whole key is hashed.
        XCTAssertEqual(HashSlot.slot(of: "foo{}{bar}"), Int(HashSlot.crc16(Array("foo{}{bar}".utf8)) & 0x3FFF))
        // Only the first {...} counts.
        XCTAssertEqual(HashSlot.slot(of: "foo{{bar}}zap"), HashSlot.slot(of: "{bar"))
        XCTAssertEqual(HashSlot.slot(of: "foo{bar}{zap}"), HashSlot.slot(of: "bar"))
        // A `{` without a closing `}`: whole key.
        XCTAssertFalse(HashSlot.hasHashTag(Array("abc{def".utf8)))
        XCTAssertTrue(HashSlot.hasHashTag(Array("a{b}".utf8)))
    }
}
