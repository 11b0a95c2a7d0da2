import CHiredis
import Foundation

/// A minimal synchronous hiredis connection for the tests' "through the C library" checks.
/// Owns its redisContext and frees it in deinit.
final class HiredisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int) throws {
        guard let context = redisConnectWithTimeout("127.0.0.1", Int32(port), timeval(tv_sec: 2, tv_usec: 0)) else {
            throw Failure(description: "redisConnectWithTimeout returned NULL for port \(port)")
        }
        if context.pointee.err != 0 {
            let message = withUnsafeBytes(of: context.pointee.errstr) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            redisFree(context)
            throw Failure(description: "connect 127.0.0.1:\(port): \(message)")
        }
        self.context = context
    }

    deinit {
        redisFree(context)
    }

    /// Sends one command with redisCommandArgv and returns a status, string or error reply as text.
    func command(_ arguments: [String]) throws -> String {
        let copies = arguments.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        var argv = copies.map { UnsafePointer<CChar>($0) }
        var lengths = arguments.map { $0.utf8.count }
        guard let raw = redisCommandArgv(context, Int32(arguments.count), &argv, &lengths) else {
            throw Failure(description: "redisCommandArgv \(arguments): connection error \(context.pointee.err)")
        }
        defer { freeReplyObject(raw) }
        let reply = raw.assumingMemoryBound(to: redisReply.self).pointee
        switch reply.type {
        case REDIS_REPLY_STATUS, REDIS_REPLY_STRING, REDIS_REPLY_ERROR:
            let text = UnsafeRawBufferPointer(start: reply.str, count: Int(reply.len))
            let value = String(decoding: text, as: UTF8.self)
            if reply.type == REDIS_REPLY_ERROR { throw Failure(description: "error reply: \(value)") }
            return value
        case REDIS_REPLY_INTEGER:
            return String(reply.integer)
        default:
            throw Failure(description: "unexpected reply type \(reply.type) to \(arguments)")
        }
    }
}
