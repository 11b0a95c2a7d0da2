import CMariaDB

/// The MariaDB Connector/C this process loaded.
package enum MariaDBLibrary {
    /// The loaded library's own version, e.g. "3.3.8" (`mysql_get_client_info`).
    package static var version: String { String(cString: mysql_get_client_info()) }

    /// A C function of libmariadb, for finding the file it was loaded from.
    package static let symbol = "mysql_get_client_info"
}
