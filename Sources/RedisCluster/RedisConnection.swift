import CHiredis

/// One TCP connection to one Redis node through hiredis (with `RedisOptions.tls`, the bytes go
/// through OpenSSL: `RedisTLSChannel`). Owns its `redisContext` and frees it in
/// `deinit`. Not for concurrent use: one thread at a time (the cluster client guarantees this by
/// giving each node's connection to a single worker per round). Once a read or write fails the
/// connection is `broken` and every later call throws; the owner replaces it.
package final class RedisConnection: @unchecked Sendable {
    package let endpoint: RedisEndpoint
    private let context: UnsafeMutablePointer<redisContext>
    package private(set) var broken = false
    private var tls: RedisTLSChannel?

    package init(endpoint: RedisEndpoint, options: RedisOptions) throws(RedisError) {
        self.endpoint = endpoint
        guard
            let ctx = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.timeval(options.connectTimeout))
        else {
            throw RedisError(.connect, "out of memory creating a hiredis context", node: endpoint.description)
        }
        if ctx.pointee.err != 0 {
            let message = Self.errorString(ctx)
            redisFree(ctx)
            throw RedisError(.connect, message, node: endpoint.description)
        }
        context = ctx
        if redisSetTimeout(ctx, Self.timeval(options.commandTimeout)) != REDIS_OK {
            throw RedisError(
                .connect, "setting the command timeout failed: \(Self.errorString(ctx))", node: endpoint.description)
        }
        _ = redisEnableKeepAlive(ctx)
        if let settings = options.tls {
            tls = try RedisTLSChannel(
                descriptor: ctx.pointee.fd, host: endpoint.host, settings: settings, node: endpoint.description)
        }
        if let password = options.password {
            var auth = RedisCommand("AUTH")
            if let user = options.username { auth.append(user) }
            auth.append(password)
            let reply = try command(auth)
            if let m = reply.errorMessage {
                throw RedisError(
                    .auth, "AUTH as \(options.username ?? "default") refused: \(m)", node: endpoint.description)
            }
        }
    }

    deinit {
        tls = nil  // the TLS session goes before the socket it runs on
        redisFree(context)
    }

    /// Sends one command and waits for its reply. Error replies are returned, not thrown; only a
    /// broken connection or a timeout throws.
    package func command(_ command: RedisCommand) throws(RedisError) -> RedisReply {
        try append(command)
        return try readReply(for: command)
    }

    /// Writes all commands, then reads all replies (one round trip for the lot).
    package func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisReply] {
        for c in commands { try append(c) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for c in commands { replies.append(try readReply(for: c)) }
        return replies
    }

    private func append(_ command: RedisCommand) throws(RedisError) {
        guard !broken else { throw RedisError(.io, "connection is broken", node: endpoint.description) }
        let argc = command.count
        guard argc > 0 else { throw RedisError(.usage, "empty command", node: endpoint.description) }
        var lengths = [Int](repeating: 0, count: argc)
        var start = 0
        for i in 0..<argc {
            lengths[i] = command.ends[i] - start
            start = command.ends[i]
        }
        let rc: Int32 = command.bytes.withUnsafeBufferPointer { buf in
            // A command of empty arguments has no storage; point them at a harmless byte.
            var dummy: UInt8 = 0
            return withUnsafePointer(to: &dummy) { dummyPtr in
                let base = buf.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(dummyPtr)
                var argv = [UnsafePointer<CChar>?](repeating: nil, count: argc)
                var offset = 0
                for i in 0..<argc {
                    argv[i] = (base + offset).assumingMemoryBound(to: CChar.self)
                    offset = command.ends[i]
                }
                return argv.withUnsafeMutableBufferPointer { av in
                    lengths.withUnsafeBufferPointer { lens in
                        if let tls {
                            return tls.append(argc: Int32(argc), argv: av.baseAddress, lengths: lens.baseAddress)
                                ? REDIS_OK : REDIS_ERR
                        }
                        return redisAppendCommandArgv(context, Int32(argc), av.baseAddress, lens.baseAddress)
                    }
                }
            }
        }
        if rc != REDIS_OK {
            broken = true
            throw RedisError(
                .io, "appending \(command.name) failed: \(Self.errorString(context))", node: endpoint.description)
        }
    }

    private func readReply(for command: RedisCommand) throws(RedisError) -> RedisReply {
        guard !broken else { throw RedisError(.io, "connection is broken", node: endpoint.description) }
        var raw: UnsafeMutableRawPointer? = nil
        if let tls {
            do {
                raw = try tls.readReply()
            } catch {
                broken = true
                throw RedisError(
                    error.code, "reading the reply to \(command.name) failed: \(error.message)", node: endpoint.description)
            }
        }
        let rc = raw == nil ? redisGetReply(context, &raw) : REDIS_OK
        guard rc == REDIS_OK, let raw else {
            broken = true
            throw RedisError(
                .io, "reading the reply to \(command.name) failed: \(Self.errorString(context))",
                node: endpoint.description)
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    /// hiredis built the tree and owns its memory until `freeReplyObject`; lengths come from it.
    private static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let p = r.pointee
        switch p.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(p.str, p.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(p.str, p.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(p.str, p.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(p.integer))
        case REDIS_REPLY_ARRAY:
            var out: [RedisReply] = []
            out.reserveCapacity(p.elements)
            if let elements = p.element {
                for i in 0..<p.elements {
                    if let e = elements[i] { out.append(convert(e)) } else { out.append(.null) }
                }
            }
            return .array(out)
        default:
            return .null
        }
    }

    private static func bytes(_ p: UnsafeMutablePointer<CChar>?, _ len: Int) -> [UInt8] {
        guard let p, len > 0 else { return [] }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
    }

    private static func errorString(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.firstIndex(of: 0) ?? b.count
            return String(decoding: b[0..<n], as: UTF8.self)
        }
    }

    private static func timeval(_ seconds: Double) -> timeval {
        let s = max(seconds, 0.001)
        let whole = Int(s)
        return CHiredis.timeval(tv_sec: whole, tv_usec: Int(((s - Double(whole)) * 1_000_000).rounded()))
    }
}
