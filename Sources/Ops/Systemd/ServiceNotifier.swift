import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One assignment of the sd_notify protocol (see sd_notify(3)).
package enum ServiceNotification: Sendable, Equatable {
    /// Start-up finished (and, after RELOADING, the reload finished).
    case ready
    /// A reload began; `MONOTONIC_USEC` is the CLOCK_MONOTONIC time of that moment, which systemd
    /// 253+ requires with RELOADING=1 (older versions ignore it).
    case reloading(monotonicMicroseconds: UInt64)
    /// Shutdown began.
    case stopping
    /// A one-line status shown by `systemctl status` (line breaks become spaces).
    case status(String)
    /// The watchdog keep-alive ping.
    case watchdog
    /// Asks for this much more time for the current start, reload or stop.
    case extendTimeout(microseconds: UInt64)

    /// The datagram lines for this notification.
    package var lines: [String] {
        switch self {
        case .ready: ["READY=1"]
        case .reloading(let time): ["RELOADING=1", "MONOTONIC_USEC=\(time)"]
        case .stopping: ["STOPPING=1"]
        case .status(let text):
            ["STATUS=" + text.map { $0.isNewline ? " " : String($0) }.joined()]
        case .watchdog: ["WATCHDOG=1"]
        case .extendTimeout(let microseconds): ["EXTEND_TIMEOUT_USEC=\(microseconds)"]
        }
    }

    /// RELOADING with the current CLOCK_MONOTONIC time.
    package static func reloadingNow() -> ServiceNotification {
        .reloading(monotonicMicroseconds: ServiceNotifier.monotonicMicroseconds())
    }
}

/// Why a notification could not be sent.
package struct ServiceNotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// `$NOTIFY_SOCKET` is neither an absolute path nor an `@abstract` name, or is too long.
        case invalidAddress
        case socket
        case send
    }

    package let code: Code
    /// The `$NOTIFY_SOCKET` value.
    package let address: String
    package let message: String

    package var description: String { "sd_notify to \(address): \(message) [\(code.rawValue)]" }
}

/// Talks to systemd's notification socket directly (no libsystemd): each `send` is one datagram
/// on an AF_UNIX socket to `$NOTIFY_SOCKET`, a file-system path or an abstract name written `@name`.
/// Without `$NOTIFY_SOCKET` (not started by systemd, or Type= is not notify) every send is a no-op.
package struct ServiceNotifier: Sendable {
    /// The `$NOTIFY_SOCKET` value, nil when unset or empty.
    package let address: String?

    package init(environment: [String: String]) {
        address = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    package var isEnabled: Bool { address != nil }

    /// Sends the notifications as one datagram. Returns false (doing nothing) when there is no
    /// notification socket, true when the datagram was sent.
    @discardableResult
    package func send(_ notifications: [ServiceNotification]) throws(ServiceNotifyError) -> Bool {
        guard let address else { return false }
        let payload = Array((notifications.flatMap(\.lines).joined(separator: "\n") + "\n").utf8)
        var socketAddress = sockaddr_un()
        let length = try Self.fill(&socketAddress, from: address)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw ServiceNotifyError(code: .socket, address: address, message: "socket: \(SocketIO.errorText())")
        }
        defer { close(descriptor) }
        let sent = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                payload.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), target, length)
                }
            }
        }
        guard sent == payload.count else {
            let reason = sent < 0 ? SocketIO.errorText() : "sent \(sent) of \(payload.count) bytes"
            throw ServiceNotifyError(code: .send, address: address, message: "sendto: \(reason)")
        }
        return true
    }

    @discardableResult
    package func send(_ notification: ServiceNotification) throws(ServiceNotifyError) -> Bool {
        try send([notification])
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd's MONOTONIC_USEC refers to.
    package static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    /// Writes `address` into `target`: a path as is (NUL-terminated), `@name` as an abstract name
    /// (a leading NUL, no terminator). Returns the address length to pass to sendto.
    static func fill(_ target: inout sockaddr_un, from address: String) throws(ServiceNotifyError) -> socklen_t {
        target.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract {
            bytes[0] = 0
        } else {
            guard bytes.first == UInt8(ascii: "/"), !bytes.contains(0) else {
                throw ServiceNotifyError(
                    code: .invalidAddress, address: address,
                    message: "expected an absolute socket path or an @abstract name")
            }
            bytes.append(0)
        }
        let capacity = MemoryLayout.size(ofValue: target.sun_path)
        guard bytes.count <= capacity, bytes.count > 1 else {
            throw ServiceNotifyError(
                code: .invalidAddress, address: address, message: "socket address longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &target.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? MemoryLayout<sa_family_t>.size
        return socklen_t(offset + bytes.count)
    }
}
