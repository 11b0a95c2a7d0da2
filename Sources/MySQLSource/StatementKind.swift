import Foundation

/// What a QUERY event's statement means to transaction assembly.
enum StatementKind: Equatable {
    case begin
    case commit
    case rollback
    /// XA START / XA END inside a prepared group.
    case xaMarker
    /// XA COMMIT / XA ROLLBACK of an earlier prepared transaction; the text after the keyword is
    /// the XID as the server prints it (`X'hex',X'hex',format`).
    case xaCommit(String)
    case xaRollback(String)
    /// SAVEPOINT / ROLLBACK TO / RELEASE SAVEPOINT: no row effect of their own.
    case savepoint
    /// A data change written as a statement: its rows are not in the binlog.
    case statementDML
    /// DDL and other statements outside transactions.
    case other

    init(_ sql: String) {
        let text = Self.words(sql, count: 3)
        let first = text.first ?? ""
        switch first {
        case "BEGIN": self = .begin
        case "COMMIT": self = .commit
        case "ROLLBACK":
            self = text.count > 1 && text[1] == "TO" ? .savepoint : .rollback
        case "SAVEPOINT", "RELEASE": self = .savepoint
        case "XA":
            let verb = text.count > 1 ? text[1] : ""
            let xid = Self.afterWords(sql, count: 2)
            switch verb {
            case "COMMIT": self = .xaCommit(xid)
            case "ROLLBACK": self = .xaRollback(xid)
            default: self = .xaMarker
            }
        case "INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD":
            self = .statementDML
        default:
            self = .other
        }
    }

    /// The first `count` words, upper-cased (leading blanks and `/* ... */` comments skipped).
    static func words(_ sql: String, count: Int) -> [String] {
        var words: [String] = []
        var current = ""
        var chars = Substring(sql)
        while !chars.isEmpty && words.count < count {
            if chars.hasPrefix("/*"), let close = chars.range(of: "*/") {
                chars = chars[close.upperBound...]
                continue
            }
            let c = chars.removeFirst()
            if c.isLetter || c == "_" {
                current.append(Character(c.uppercased()))
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty && words.count < count { words.append(current) }
        return words
    }

    /// The statement text after its first `count` words, trimmed.
    static func afterWords(_ sql: String, count: Int) -> String {
        var rest = Substring(sql)
        for _ in 0..<count {
            rest = rest.drop { $0 == " " || $0 == "\n" || $0 == "\t" }
            rest = rest.drop { $0 != " " && $0 != "\n" && $0 != "\t" }
        }
        return String(rest).trimmed(of: " \n\t;")
    }
}
