import CMariaDB

/// Where and as whom to connect. A non-nil `socket` connects over that Unix socket instead of TCP.
package struct MySQLEndpoint: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String
    package var database: String?
    package var socket: String?
    package var connectTimeoutSeconds: UInt32
    package var readTimeoutSeconds: UInt32
    /// TLS mode and files (see `MySQLTLS`); disabled by default.
    package var tls: MySQLTLS

    package init(
        host: String = "127.0.0.1", port: Int = 3306, user: String = "root", password: String = "",
        database: String? = nil, socket: String? = nil, connectTimeoutSeconds: UInt32 = 5,
        readTimeoutSeconds: UInt32 = 30, tls: MySQLTLS = .disabled
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.socket = socket
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.tls = tls
    }

    package var displayName: String {
        if let socket { return "\(user)@\(socket)" }
        return "\(user)@\(host):\(port)"
    }
}

/// The rows of one result set, every value in its text form (`nil` for SQL NULL).
package struct MySQLRows: Sendable, Equatable {
    package var columns: [String]
    package var rows: [[String?]]

    package init(columns: [String], rows: [[String?]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The value of `column` in row `row`, or nil when either is absent or the value is NULL.
    package func value(_ column: String, row: Int = 0) -> String? {
        guard let index = columns.firstIndex(of: column), rows.indices.contains(row) else { return nil }
        let values = rows[row]
        return values.indices.contains(index) ? values[index] : nil
    }
}

/// One client connection through libmariadb's text protocol. Owns its `MYSQL*` and closes it in
/// deinit. Not thread-safe: use it from one thread at a time.
package final class MySQLConnection {
    let handle: UnsafeMutablePointer<MYSQL>
    package let endpoint: MySQLEndpoint

    /// Connector/C's process-wide setup, done once before the first handle (not thread-safe itself).
    private static let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

    package init(_ endpoint: MySQLEndpoint) throws(MySQLError) {
        self.endpoint = endpoint
        guard Self.libraryReady, let handle = mysql_init(nil) else {
            throw MySQLError(
                operation: .initialize, code: 0, sqlState: "HY000",
                message: "mysql_init failed (out of memory or library init failed)", context: endpoint.displayName)
        }
        var connectTimeout = endpoint.connectTimeoutSeconds
        var readTimeout = endpoint.readTimeoutSeconds
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        if let problem = endpoint.tls.problem {
            mysql_close(handle)
            throw MySQLError(
                operation: .connect, code: 0, sqlState: "HY000", message: problem, context: endpoint.displayName)
        }
        endpoint.tls.apply(to: handle)
        if endpoint.socket == nil {
            // libmariadb takes host "localhost" to mean its default Unix socket; an endpoint
            // without a socket means TCP to host:port.
            var tcp = MYSQL_PROTOCOL_TCP.rawValue
            mysql_options(handle, MYSQL_OPT_PROTOCOL, &tcp)
        }
        let connected = mysql_real_connect(
            handle, endpoint.socket == nil ? endpoint.host : nil, endpoint.user, endpoint.password,
            endpoint.database, UInt32(clamping: endpoint.port), endpoint.socket, 0)
        if connected == nil {
            let error = Self.error(of: handle, operation: .connect, context: endpoint.displayName)
            mysql_close(handle)
            throw error
        }
        do {
            try endpoint.tls.verify(connected: handle, context: endpoint.displayName)
        } catch {
            mysql_close(handle)
            throw error
        }
        self.handle = handle
    }

    /// The TLS cipher of this session, nil when it is not encrypted.
    package var tlsCipher: String? { MySQLTLS.cipher(of: handle) }

    deinit {
        mysql_close(handle)
    }

    /// Runs a statement that returns no rows (or whose rows are discarded); returns the affected rows.
    @discardableResult
    package func execute(_ sql: String) throws(MySQLError) -> UInt64 {
        try run(sql)
        if let result = mysql_store_result(handle) {
            mysql_free_result(result)
            return 0
        }
        if mysql_field_count(handle) != 0 {
            throw Self.error(of: handle, operation: .fetch, context: sql)
        }
        return mysql_affected_rows(handle)
    }

    /// Runs a statement and returns its result set (empty when the statement produces none).
    package func query(_ sql: String) throws(MySQLError) -> MySQLRows {
        try run(sql)
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) != 0 {
                throw Self.error(of: handle, operation: .fetch, context: sql)
            }
            return MySQLRows(columns: [], rows: [])
        }
        defer { mysql_free_result(result) }
        let fieldCount = Int(mysql_num_fields(result))
        var columns: [String] = []
        if let fields = mysql_fetch_fields(result) {
            for index in 0..<fieldCount {
                columns.append(fields[index].name.map { String(cString: $0) } ?? "")
            }
        }
        var rows: [[String?]] = []
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { break }
            var values: [String?] = []
            values.reserveCapacity(fieldCount)
            for index in 0..<fieldCount {
                if let cell = row[index] {
                    let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[index]))
                    values.append(String(decoding: bytes, as: UTF8.self))
                } else {
                    values.append(nil)
                }
            }
            rows.append(values)
        }
        if mysql_errno(handle) != 0 {
            throw Self.error(of: handle, operation: .fetch, context: sql)
        }
        return MySQLRows(columns: columns, rows: rows)
    }

    private func run(_ sql: String) throws(MySQLError) {
        let status = sql.utf8CString.withUnsafeBufferPointer { buffer in
            mysql_real_query(handle, buffer.baseAddress, UInt(buffer.count - 1))
        }
        if status != 0 {
            throw Self.error(of: handle, operation: .query, context: sql)
        }
    }

    static func error(
        of handle: UnsafeMutablePointer<MYSQL>, operation: MySQLError.Operation, context: String
    ) -> MySQLError {
        MySQLError(
            operation: operation, code: mysql_errno(handle),
            sqlState: mysql_sqlstate(handle).map { String(cString: $0) } ?? "HY000",
            message: mysql_error(handle).map { String(cString: $0) } ?? "unknown error", context: context)
    }
}
