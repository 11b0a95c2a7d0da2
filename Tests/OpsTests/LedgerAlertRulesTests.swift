import Foundation
import XCTest

@testable import Ops

/// The ledger's rules in config/sluice-alerts.yml: each one is there, names only metrics that
/// `sluice ledger serve` exports (`SluiceMetrics.ledger`), and has the threshold and `for:` of
/// the service levels (error rate 1%, P99 100 ms, in doubt a minute, fsync P99 25 ms, cache hit
/// rate 80%). `MetricsRegistryTests` checks the whole file against the catalogue and as YAML.
final class LedgerAlertRulesTests: XCTestCase {
    struct Rule: Equatable {
        var name: String
        var expr = ""
        var duration = ""
    }

    /// The rules of the file, from its `- alert:`, `expr:` and `for:` lines (the file keeps each
    /// expression on one line; the YAML test holds it to valid YAML).
    static func rules() throws -> [Rule] {
        let text = try String(
            contentsOf: ConfigTestCase.packageRoot.appendingPathComponent("config/sluice-alerts.yml"), encoding: .utf8)
        var rules: [Rule] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("- alert:") {
                rules.append(Rule(name: value(line, after: "- alert:")))
            } else if line.hasPrefix("expr:"), !rules.isEmpty {
                rules[rules.count - 1].expr = value(line, after: "expr:")
            } else if line.hasPrefix("for:"), !rules.isEmpty {
                rules[rules.count - 1].duration = value(line, after: "for:")
            }
        }
        return rules
    }

    private static func value(_ line: String, after prefix: String) -> String {
        String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }

    /// The comparisons of `expr` outside parentheses, braces and quotes ("> 0.01"): its thresholds.
    static func thresholds(_ expr: String) -> [String] {
        var depth = 0
        var quoted = false
        var out: [String] = []
        let characters = Array(expr)
        var index = 0
        while index < characters.count {
            let c = characters[index]
            index += 1
            if c == "\"" { quoted.toggle() }
            if quoted { continue }
            if "({[".contains(c) { depth += 1 }
            if ")}]".contains(c) { depth -= 1 }
            guard depth == 0, "<>".contains(c) || (c == "=" && characters.dropFirst(index).first == "=") else {
                continue
            }
            var op = String(c)
            while index < characters.count, characters[index] == "=" {
                op.append("=")
                index += 1
            }
            let number = characters[index...].drop { $0 == " " }.prefix { $0.isNumber || $0 == "." }
            out.append(op + " " + String(number))
            index += 1
        }
        return out
    }

    func testThresholdsAreReadOutsideSelectorsAndCalls() {
        XCTAssertEqual(Self.thresholds(#"a{kind=~"x|y"} / b > 0.01"#), ["> 0.01"])
        XCTAssertEqual(Self.thresholds("f(x > 2) < 0.8 and on(i) g > 1"), ["< 0.8", "> 1"])
        XCTAssertEqual(Self.thresholds(#"up{job=~"s"} == 0"#), ["== 0"])
        XCTAssertEqual(Self.thresholds("m >= 60"), [">= 60"])
    }

    func testTheLedgerRulesExistWithTheirThresholds() throws {
        let rules = try Self.rules()
        let expected: [(name: String, metrics: Set<String>, thresholds: [String], duration: String)] = [
            ("SluiceLedgerErrorRateHigh", ["sluice_ledger_transfers_total"], ["> 0.01"], "5m"),
            ("SluiceLedgerLatencyHigh", ["sluice_ledger_transfer_seconds_bucket"], ["> 0.1"], "10m"),
            ("SluiceLedgerInDoubt", ["sluice_ledger_in_doubt_oldest_seconds"], ["> 60"], "0m"),
            ("SluiceLedgerJournalFsyncSlow", ["sluice_ledger_journal_fsync_seconds_bucket"], ["> 0.025"], "10m"),
            (
                "SluiceLedgerCacheHitRateLow", ["sluice_ledger_cache_hits_total", "sluice_ledger_cache_lookups_total"],
                ["< 0.8", "> 1"], "15m"
            ),
        ]
        var ledgerSeries = Set(SluiceMetrics.ledger.map(\.name))
        for case let histogram as HistogramDefinition in SluiceMetrics.ledger {
            ledgerSeries.formUnion(["_bucket", "_sum", "_count"].map { histogram.name + $0 })
        }
        let names = try NSRegularExpression(pattern: "\\bsluice_[a-z_]+")
        for want in expected {
            guard let rule = rules.first(where: { $0.name == want.name }) else {
                XCTFail("config/sluice-alerts.yml has no rule \(want.name)")
                continue
            }
            let used = Set(
                names.matches(in: rule.expr, range: NSRange(rule.expr.startIndex..., in: rule.expr)).compactMap {
                    Range($0.range, in: rule.expr).map { String(rule.expr[$0]) }
                })
            XCTAssertEqual(used, want.metrics, want.name)
            XCTAssertEqual(used.subtracting(ledgerSeries), [], "\(want.name) names metrics ledger serve doesn't export")
            XCTAssertEqual(Self.thresholds(rule.expr), want.thresholds, want.name)
            XCTAssertEqual(rule.duration, want.duration, want.name)
        }
        let quantiles = rules.filter {
            $0.name == "SluiceLedgerLatencyHigh" || $0.name == "SluiceLedgerJournalFsyncSlow"
        }
        XCTAssertEqual(quantiles.filter { $0.expr.hasPrefix("histogram_quantile(0.99,") }.count, 2, "both are P99s")
        let errors = rules.first { $0.name == "SluiceLedgerErrorRateHigh" }?.expr ?? ""
        XCTAssertTrue(errors.contains(#"{kind=~"unavailable|pending"}"#), "errors are the 503 answers: \(errors)")
    }
}
