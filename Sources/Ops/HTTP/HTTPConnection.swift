import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Serves one client connection on its own thread: reads request heads with a deadline, answers
/// them in order, and closes on a bad request, a timeout, the client's wish or the server's stop.
final class HTTPConnection: @unchecked Sendable {
    private let socket: SocketDescriptor
    private let options: HTTPServerOptions
    private let stop: Int32
    private let handler: HTTPServer.Handler
    private let logger: Logger
    private let isStopping: @Sendable () -> Bool
    private let stateLock = NSLock()
    private var waitingStart: ContinuousClock.Instant? = .now
    private var evicted = false

    init(
        socket: SocketDescriptor, options: HTTPServerOptions, stop: Int32, handler: @escaping HTTPServer.Handler,
        logger: Logger, isStopping: @escaping @Sendable () -> Bool
    ) {
        self.socket = socket
        self.options = options
        self.stop = stop
        self.handler = handler
        self.logger = logger
        self.isStopping = isStopping
    }

    /// Since when the connection has been waiting for a request; nil while answering one, or
    /// once evicted.
    var waitingSince: ContinuousClock.Instant? {
        stateLock.withLock { evicted ? nil : waitingStart }
    }

    /// Makes room for a new connection: shuts the socket down, so the connection's wait ends and
    /// it closes.
    func evict() {
        stateLock.withLock { evicted = true }
        socket.shutdownBoth()
    }

    private func setWaiting(_ waiting: Bool) {
        stateLock.withLock { waitingStart = waiting ? .now : nil }
    }

    func run() {
        defer { socket.close() }
        var buffer: [UInt8] = []
        var served = 0
        var deadline = ContinuousClock.now + options.requestTimeout
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            switch HTTPRequestParser.parse(buffer[...], limits: options.limits) {
            case .complete(var head, var consumed):
                setWaiting(false)
                if head.hasBody, options.limits.maxBodyBytes > 0 {
                    if let refusal = readBody(&head, consumed: &consumed, buffer: &buffer, deadline: deadline) {
                        _ = SocketIO.sendAll(
                            socket.raw, refusal.serialized(keepAlive: false), until: .now + options.requestTimeout)
                        return lingeringClose()
                    }
                }
                let response = handler(head)
                served += 1
                let keepAlive = head.keepAlive && served < options.maxRequestsPerConnection && !isStopping()
                let bytes = response.serialized(keepAlive: keepAlive, includeBody: head.method != "HEAD")
                guard SocketIO.sendAll(socket.raw, bytes, until: .now + options.requestTimeout) else { return }
                guard keepAlive else { return lingeringClose() }
                buffer.removeFirst(min(consumed, buffer.count))
                deadline = .now + options.requestTimeout
                setWaiting(true)
            case .invalid(let status, let reason):
                logger.log(
                    .debug, "metrics endpoint: bad request", ["http.status": .init(status.code), "reason": "\(reason)"])
                _ = SocketIO.sendAll(
                    socket.raw, HTTPResponse.text(status, reason).serialized(keepAlive: false),
                    until: .now + options.requestTimeout)
                return lingeringClose()
            case .incomplete:
                switch SocketIO.wait(socket.raw, events: Int16(POLLIN), until: deadline, stop: stop) {
                case .stopping, .failed:
                    return
                case .timedOut:
                    // An idle kept-alive connection just ends; a started or never-sent request is told why.
                    if !buffer.isEmpty || served == 0 {
                        let seconds = options.requestTimeout.components.seconds
                        let answer = HTTPResponse.text(.requestTimeout, "no complete request within \(seconds) s")
                        _ = SocketIO.sendAll(socket.raw, answer.serialized(keepAlive: false), until: .now + .seconds(1))
                    }
                    return lingeringClose()
                case .ready:
                    let count = chunk.withUnsafeMutableBytes { bytes -> Int in
                        guard let base = bytes.baseAddress else { return -1 }
                        return recv(socket.raw, base, bytes.count, 0)
                    }
                    if count == 0 { return }
                    if count < 0 {
                        if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                        return
                    }
                    buffer.append(contentsOf: chunk.prefix(count))
                }
            }
        }
    }

    /// Reads the body announced by `head` into it (the server reads bodies): nil when read, else
    /// the answer that refuses it (chunked, too large, not all sent in time, connection lost).
    private func readBody(_ head: inout HTTPRequestHead, consumed: inout Int, buffer: inout [UInt8], deadline: ContinuousClock.Instant)
        -> HTTPResponse?
    {
        guard head.values("transfer-encoding").isEmpty else {
            return .text(.lengthRequired, "send the body with a Content-Length, not chunked")
        }
        let length = head.contentLength
        guard length <= options.limits.maxBodyBytes else {
            return .text(.contentTooLarge, "the body is over \(options.limits.maxBodyBytes) bytes")
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while buffer.count < consumed + length {
            guard SocketIO.wait(socket.raw, events: Int16(POLLIN), until: deadline, stop: stop) == .ready else {
                return .text(.requestTimeout, "the body did not arrive in time")
            }
            let count = chunk.withUnsafeMutableBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return -1 }
                return recv(socket.raw, base, bytes.count, 0)
            }
            if count < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
            guard count > 0 else { return .text(.badRequest, "the connection ended inside the body") }
            buffer.append(contentsOf: chunk.prefix(count))
        }
        head.body = Array(buffer[consumed..<(consumed + length)])
        consumed += length
        return nil
    }

    /// Closes the sending side, then reads and discards what the client still sends for a moment,
    /// so closing with unread input doesn't reset the connection before the client read the answer.
    private func lingeringClose() {
        _ = shutdown(socket.raw, Int32(SHUT_WR))
        let deadline = ContinuousClock.now + .milliseconds(500)
        var sink = [UInt8](repeating: 0, count: 4096)
        var discarded = 0
        while discarded < 65536,
            SocketIO.wait(socket.raw, events: Int16(POLLIN), until: deadline, stop: stop) == .ready
        {
            let count = sink.withUnsafeMutableBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return -1 }
                return recv(socket.raw, base, bytes.count, 0)
            }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            guard count > 0 else { return }
            discarded += count
        }
    }
}
