/// A failure reported by libmariadb (Connector/C) or by the server through it.
///
/// `code` is `mysql_errno()` (server codes such as 1045 access denied, 1146 no such table, or client
/// codes 2000+ such as 2003 can't connect), `sqlState` is `mysql_sqlstate()`, and `context` names
/// what was attempted: the address connected to, or the statement run.
package struct MySQLError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Operation: String, Sendable, Equatable {
        case initialize, connect, query, fetch
    }

    package let operation: Operation
    package let code: UInt32
    package let sqlState: String
    package let message: String
    package let context: String

    package init(operation: Operation, code: UInt32, sqlState: String, message: String, context: String) {
        self.operation = operation
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.context = context
    }

    package var description: String {
        "MySQL \(operation.rawValue) failed (\(code), SQLSTATE \(sqlState)): \(message) [\(context)]"
    }
}
