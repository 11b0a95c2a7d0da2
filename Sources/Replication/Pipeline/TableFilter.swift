import Binlog
import Foundation
import Ops

/// Which tables are replicated (`[filter]`): a table passes when its `db.table` name wholly
/// matches one of the include patterns (or there are none) and none of the exclude patterns.
/// Decisions are cached per table, so the regular expressions run once per table, not per row.
package final class TableFilter {
    package let include: [String]
    package let exclude: [String]
    private let includeExpressions: [NSRegularExpression]
    private let excludeExpressions: [NSRegularExpression]
    private var decisions: [String: Bool] = [:]

    /// Throws `FilterError` naming the pattern that does not compile (the config loader has
    /// already checked them, so this only fires for filters built by hand).
    package init(include: [String], exclude: [String]) throws(FilterError) {
        self.include = include
        self.exclude = exclude
        includeExpressions = try include.map(Self.compile)
        excludeExpressions = try exclude.map(Self.compile)
    }

    package convenience init(config: FilterConfig) throws(FilterError) {
        try self.init(include: config.include, exclude: config.exclude)
    }

    /// Whether rows of `database.table` are replicated.
    package func includes(database: String, table: String) -> Bool {
        let name = "\(database).\(table)"
        if let known = decisions[name] { return known }
        let included = includeExpressions.isEmpty || includeExpressions.contains { Self.wholeMatch($0, name) }
        let decision = included && !excludeExpressions.contains { Self.wholeMatch($0, name) }
        decisions[name] = decision
        return decision
    }

    /// The changes of `changes` whose tables pass, in order.
    package func apply(_ changes: [RowChange]) -> [RowChange] {
        changes.filter { includes(database: $0.database, table: $0.table) }
    }

    private static func compile(_ pattern: String) throws(FilterError) -> NSRegularExpression {
        do {
            // Wrapped so that the whole name must match, whatever alternatives the pattern has.
            return try NSRegularExpression(pattern: "^(?:\(pattern))$")
        } catch {
            throw FilterError(pattern: pattern, message: "invalid regular expression: \(error)")
        }
    }

    private static func wholeMatch(_ expression: NSRegularExpression, _ name: String) -> Bool {
        expression.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }
}

/// A filter pattern that does not compile.
package struct FilterError: Error, Sendable, Equatable, CustomStringConvertible {
    package let pattern: String
    package let message: String

    package var description: String { "filter pattern \"\(pattern)\": \(message)" }
}
