/// Which server a checkpoint's binlog position belongs to: its `server_id`, MySQL's
/// `server_uuid` (nil on MariaDB, which has none) and the flavour (`mariadb` or `mysql`).
/// A file:offset means something only on the server that wrote it (guarantee 8).
package struct SourceIdentity: Sendable, Equatable, CustomStringConvertible {
    package var serverID: UInt32
    package var serverUUID: String?
    /// `mariadb` or `mysql`.
    package var flavor: String

    package init(serverID: UInt32, serverUUID: String? = nil, flavor: String) {
        self.serverID = serverID
        self.serverUUID = serverUUID.flatMap { $0.isEmpty ? nil : $0 }
        self.flavor = flavor
    }

    /// The same server: same flavour and server_id, and the same server_uuid when both have one.
    package func isSameServer(as other: SourceIdentity) -> Bool {
        guard flavor == other.flavor, serverID == other.serverID else { return false }
        if let mine = serverUUID, let theirs = other.serverUUID { return mine == theirs }
        return true
    }

    package var description: String {
        "\(flavor) server_id \(serverID)" + (serverUUID.map { " (server_uuid \($0))" } ?? "")
    }
}
