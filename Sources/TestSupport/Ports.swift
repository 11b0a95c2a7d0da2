import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Picks free loopback TCP ports. Ports come from 20000-29999 (below Linux's ephemeral range,
/// so outgoing connections never take them), chosen at random and checked by binding; a Redis
/// cluster node also needs its bus port (port + 10000) free, so `pick(alsoFree:)` checks both.
/// Ports handed out by one allocator are never handed out again by it.
package final class PortAllocator: @unchecked Sendable {
    private let lock = NSLock()
    private var given: Set<Int> = []

    package init() {}

    package func pick(alsoFree offsets: [Int] = []) throws(SandboxError) -> Int {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<500 {
            let port = Int.random(in: 20000..<30000)
            let all = [port] + offsets.map { port + $0 }
            if all.contains(where: given.contains) { continue }
            if all.allSatisfy(Self.isFree) {
                given.formUnion(all)
                return port
            }
        }
        throw SandboxError(.noFreePort, service: "ports", message: "no free loopback port found in 20000-29999")
    }

    /// Whether 127.0.0.1:port can be bound right now.
    package static func isFree(_ port: Int) -> Bool {
        withLoopbackSocket(port) { fd, address, length in bind(fd, address, length) == 0 }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port.
    package static func accepts(_ port: Int) -> Bool {
        withLoopbackSocket(port) { fd, address, length in connect(fd, address, length) == 0 }
    }

    /// Calls `body` with a fresh TCP socket and the address 127.0.0.1:port; closes the socket after.
    private static func withLoopbackSocket(
        _ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool
    ) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}
