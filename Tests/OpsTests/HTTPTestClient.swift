import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP client for the HTTP server tests: sends exactly the bytes a test chooses and reads
/// whatever comes back, with a receive timeout so a test never hangs.
final class RawClient {
    let fd: Int32

    init(port: Int, receiveTimeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw XCTSkip("socket() failed") }
        var timeout = timeval(
            tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - receiveTimeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            close(fd)
            throw ConnectError(code: errno)
        }
    }

    struct ConnectError: Error { let code: Int32 }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything until the server closes (or the receive timeout passes).
    func readToEnd() -> String {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            all.append(contentsOf: chunk.prefix(count))
        }
        return String(decoding: all, as: UTF8.self)
    }

    /// One response: its head, then exactly Content-Length body bytes (keeps the connection usable).
    func readResponse() -> (status: Int, head: String, body: String)? {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1)
        while !all.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            guard recv(fd, &chunk, 1, 0) == 1 else { return nil }
            all.append(chunk[0])
        }
        let head = String(decoding: all, as: UTF8.self)
        let length =
            head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        var body = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            let count = body.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, length - got, 0) }
            guard count > 0 else { return nil }
            got += count
        }
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head, String(decoding: body, as: UTF8.self))
    }

    /// A whole exchange on a fresh connection: `GET path` with Connection: close.
    static func get(_ path: String, port: Int, method: String = "GET") throws -> String {
        let client = try RawClient(port: port)
        client.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return client.readToEnd()
    }
}

extension String {
    /// The status code of a raw response text.
    var httpStatus: Int? { split(separator: " ").dropFirst().first.flatMap { Int($0) } }
    /// The body after the blank line.
    var httpBody: String { components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n") }
}
