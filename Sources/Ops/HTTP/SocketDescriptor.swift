import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Owns one socket (or pipe) file descriptor and closes it exactly once, at the latest in deinit.
final class SocketDescriptor: @unchecked Sendable {
    let raw: Int32
    private let lock = NSLock()
    private var isClosed = false

    init(_ raw: Int32) {
        self.raw = raw
    }

    deinit { close() }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed else { return }
        isClosed = true
        _ = Glibc.close(raw)
    }

    /// Shuts down both directions (waking a thread waiting on it) unless already closed; the
    /// lock keeps this from touching a descriptor number reused after `close`.
    func shutdownBoth() {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed else { return }
        _ = shutdown(raw, Int32(SHUT_RDWR))
    }

    /// Sets O_NONBLOCK and FD_CLOEXEC; false when fcntl fails.
    func makeNonBlockingAndCloseOnExec() -> Bool {
        let flags = fcntl(raw, F_GETFL)
        guard flags >= 0, fcntl(raw, F_SETFL, flags | O_NONBLOCK) == 0 else { return false }
        let descriptorFlags = fcntl(raw, F_GETFD)
        return descriptorFlags >= 0 && fcntl(raw, F_SETFD, descriptorFlags | FD_CLOEXEC) == 0
    }
}

/// What waiting for a descriptor gave.
enum SocketWait: Equatable {
    case ready, timedOut, stopping, failed
}

enum SocketIO {
    /// The text of the current `errno`.
    static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Waits until `descriptor` has `events` (or an error/hang-up, which the next read or write
    /// reports), until `deadline`, or until `stop` becomes readable.
    static func wait(
        _ descriptor: Int32, events: Int16, until deadline: ContinuousClock.Instant, stop: Int32?
    ) -> SocketWait {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return .timedOut }
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1000
                    + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var descriptors = [pollfd(fd: descriptor, events: events, revents: 0)]
            if let stop { descriptors.append(pollfd(fd: stop, events: Int16(POLLIN), revents: 0)) }
            let result = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            if result < 0 {
                if errno == EINTR { continue }
                return .failed
            }
            if result == 0 { continue }
            if descriptors.count > 1, descriptors.last.map({ $0.revents != 0 }) == true { return .stopping }
            let seen = descriptors.first?.revents ?? 0
            if seen & (events | Int16(POLLERR) | Int16(POLLHUP) | Int16(POLLNVAL)) != 0 { return .ready }
        }
    }

    /// Sends all of `bytes` before `deadline` (never raising SIGPIPE); false when the peer is gone
    /// or too slow.
    static func sendAll(_ descriptor: Int32, _ bytes: [UInt8], until deadline: ContinuousClock.Instant) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return send(descriptor, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            if sent < 0, code == EINTR { continue }
            guard sent < 0, code == EAGAIN || code == EWOULDBLOCK else { return false }
            guard wait(descriptor, events: Int16(POLLOUT), until: deadline, stop: nil) == .ready else { return false }
        }
        return true
    }
}
