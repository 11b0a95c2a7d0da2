/// Which server a checkpoint's binlog position belongs to: its `server_id`, MySQL's
/// `server_uuid` (nil on MariaDB, which has none) and the flavour (`mariadb` or `mysql`).
/// A file:offset means something only on the server that wrote it (guarantee 8).
public struct SourceIdentity: Sendable, Equatable, CustomStringConvertible {
    public var serverID: UInt32
    public var serverUUID: String?
    /// `mariadb` or `mysql`.
    public var flavor: String

    public init(serverID: UInt32, serverUUID: String? = nil, flavor: String) {
        self.serverID = serverID
        self.serverUUID = serverUUID.flatMap { $0.isEmpty ? nil : $0 }
        self.flavor = flavor
    }

    /// The same server: same flavour and server_id, and the same server_uuid when both have one.
    public func isSameServer(as other: SourceIdentity) -> Bool {
        guard flavor == other.flavor, serverID == other.serverID else { return false }
        if let mine = serverUUID, let theirs = other.serverUUID { return mine == theirs }
        return true
    }

    public var description: String {
        "\(flavor) server_id \(serverID)" + (serverUUID.map { " (server_uuid \($0))" } ?? "")
    }
}
