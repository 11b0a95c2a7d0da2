import Foundation
import MySQLSource
import Ops

extension MySQLEndpoint {
    /// The endpoint of one `[[ledger.shard]]`.
    package init(ledgerShard s: LedgerConfig.Shard) {
        self.init(
            host: s.host, port: s.port, user: s.user, password: s.password?.revealed ?? "", database: s.database,
            socket: s.socket, connectTimeoutSeconds: 3, readTimeoutSeconds: 30)
    }
}

/// Connections to one shard, shared by the request threads: `borrow` waits for a free one (or
/// opens a new one up to `capacity`); a connection that failed is dropped, not returned.
package final class ShardPool: @unchecked Sendable {
    package let index: Int
    package let endpoint: MySQLEndpoint
    package let capacity: Int
    private let condition = NSCondition()
    private var idle: [MySQLConnection] = []
    private var open = 0

    package init(index: Int, endpoint: MySQLEndpoint, capacity: Int) {
        self.index = index
        self.endpoint = endpoint
        self.capacity = max(1, capacity)
    }

    package func borrow() throws(MySQLError) -> MySQLConnection {
        condition.lock()
        while idle.isEmpty, open >= capacity { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        open += 1
        condition.unlock()
        do {
            return try MySQLConnection(endpoint)
        } catch {
            condition.withLock {
                open -= 1
                condition.signal()
            }
            throw error
        }
    }

    /// Gives `connection` back; `healthy: false` closes it instead.
    package func giveBack(_ connection: MySQLConnection, healthy: Bool) {
        condition.withLock {
            if healthy {
                idle.append(connection)
            } else {
                open -= 1
            }
            condition.signal()
        }
    }

    /// Runs `body` on a borrowed connection; a MySQL error from a lost connection drops it.
    package func with<T>(_ body: (MySQLConnection) throws(MySQLError) -> T) throws(MySQLError) -> T {
        let connection = try borrow()
        do {
            let value = try body(connection)
            giveBack(connection, healthy: true)
            return value
        } catch {
            giveBack(connection, healthy: !error.isConnectionLoss)
            throw error
        }
    }
}

extension MySQLError {
    /// Client errors 2000+ (gone away, lost, can't connect): the connection is unusable.
    package var isConnectionLoss: Bool { code >= 2000 && code < 3000 }
    /// A deadlock (1213), a lock-wait timeout (1205) or an XA branch rolled back for one of those
    /// (XA_RBDEADLOCK 1614, XA_RBTIMEOUT 1613): try the transfer again.
    package var isRetryable: Bool { [1205, 1213, 1613, 1614].contains(code) }
    /// A duplicate key (1062).
    package var isDuplicateKey: Bool { code == 1062 }
}
