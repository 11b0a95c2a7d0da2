import Binlog

/// A row that could not be turned into Redis writes: which table, where in the binlog, and why.
package struct MappingError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// A column the mapping names is not in the row.
        case unknownColumn
        /// A key column is NULL, so the key can't be built.
        case nullKeyColumn
        /// The version column is NULL, negative or not an integer.
        case badVersion
        /// Binlog versions need a MariaDB GTID of the configured domain.
        case noBinlogVersion
        /// The row lacks the image the change kind needs (e.g. a delete without a before image).
        case missingImage
        /// A mapped column holds only part of its value (a MySQL PARTIAL_JSON diff).
        case partialValue
        /// A hash shape would write a column named like the field holding the row's version.
        case reservedField
        /// A row's key would land in the names sluice keeps its own data under (`KeyNamespace`).
        case reservedKey
    }

    package let code: Code
    package let message: String
    package let table: String
    package let position: BinlogPosition

    package init(_ code: Code, _ message: String, table: String, position: BinlogPosition) {
        self.code = code
        self.message = message
        self.table = table
        self.position = position
    }

    package var description: String { "mapping of \(table) at \(position) failed: \(message)" }
}
