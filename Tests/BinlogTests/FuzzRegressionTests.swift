import Foundation
import XCTest
@testable import Binlog

/// Every input the fuzzer (scripts/fuzz-decoder) found crashing or hanging, replayed through the
/// same entry point: each must now end in events or typed errors.
final class FuzzRegressionTests: XCTestCase {
    func testSavedInputsDecodeOrFailCleanly() throws {
        let dir = FixturePaths.capturedDir.appendingPathComponent("fuzz-regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let result = FuzzEntry.run(Array(data))
            XCTAssertGreaterThan(result.events + result.errors, 0, name)
        }
    }

    /// The first regression: a rows event whose columns-present bitmap is all zero made every row
    /// image zero bytes long, and the row loop never advanced.
    func testRowImagesWithNoColumnsAreRefused() throws {
        let data = try Data(contentsOf: FixturePaths.capturedDir.appendingPathComponent("fuzz-regressions/timeout-empty-row-images"))
        XCTAssertGreaterThan(FuzzEntry.run(Array(data)).errors, 0)
    }
}
