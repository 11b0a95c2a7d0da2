import XCTest

@testable import Ops

/// `[dr_apply] on_gap` and `partitions`.
final class DRGapConfigTests: ConfigTestCase {
    private var base: String {
        Self.minimal + "[redis.dr]\nseeds = [\"d:1\"]\n[kafka]\nbrokers = [\"k:1\"]\n[dr_apply]\ntopics = [\"t\"]\n"
    }

    func testOnGapDefaultsToHaltAndReadsAlert() throws {
        XCTAssertEqual(try valid(base).config.drApply?.onGap, .halt)
        let alert = try valid(base + "on_gap = \"alert\"\npartitions = [0, 2]\n").config.drApply
        XCTAssertEqual(alert?.onGap, .alert)
        XCTAssertEqual(alert?.partitions, [0, 2])
    }

    func testUnknownOnGapIsAnErrorWithItsLine() throws {
        let errors = try errors(base + "on_gap = \"skip\"\n")
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.contains("dr_apply.on_gap: expected one of \"halt\", \"alert\", got \"skip\"") ?? false, "\(errors)")
        XCTAssertTrue(errors.first?.hasPrefix("sluice.toml:") ?? false, "\(errors)")
    }
}
