import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why the server could not start.
package struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        case resolve, socket, bind, listen, pipe, thread
    }

    package let code: Code
    /// The listen address.
    package let address: String
    package let message: String

    package var description: String { "metrics endpoint \(address): \(message) [\(code.rawValue)]" }
}

/// How the server treats its clients.
package struct HTTPServerOptions: Sendable, Equatable {
    package var listen: HostPort
    /// Connections served at once. A connection beyond it takes the place of the one that has
    /// waited longest for its request (a stalled client loses to a new one); when every connection
    /// is busy answering, the newcomer gets 503.
    package var maxConnections: Int
    /// Time a client has to send a complete request head, counted from the connection (or from the
    /// previous answer on a kept-alive connection); also the time an answer may take to be sent.
    package var requestTimeout: Duration
    /// Requests served on one kept-alive connection before it is closed.
    package var maxRequestsPerConnection: Int
    package var limits: HTTPParseLimits

    package init(
        listen: HostPort, maxConnections: Int = 64, requestTimeout: Duration = .seconds(10),
        maxRequestsPerConnection: Int = 1000, limits: HTTPParseLimits = HTTPParseLimits()
    ) {
        self.listen = listen
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.limits = limits
    }
}

/// A small HTTP/1.1 server on POSIX sockets: one accept thread, and one thread per connection up
/// to `maxConnections`. Every wait is a `poll` with a deadline that also watches a stop pipe, so a
/// slow, silent or half-open client costs one thread for at most `requestTimeout` and never delays
/// another client; garbage is answered 400 and closed. `stop()` stops accepting, wakes idle
/// connections and lets answers being written finish.
package final class HTTPServer: @unchecked Sendable {
    package typealias Handler = @Sendable (HTTPRequestHead) -> HTTPResponse

    private let options: HTTPServerOptions
    private let handler: Handler
    private let logger: Logger
    private let listener: SocketDescriptor
    private let stopReader: SocketDescriptor
    private let stopWriter: SocketDescriptor
    private let connections = DispatchGroup()
    private let acceptLoopDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var active = 0
    /// The connections being served, to pick one to evict when full.
    private var open: [ObjectIdentifier: HTTPConnection] = [:]
    private var stopping = false

    /// The port bound (the one asked for, or the kernel's choice for port 0).
    package let port: Int

    /// Binds and listens on `options.listen`, then serves on background threads until `stop()`.
    package init(options: HTTPServerOptions, logger: Logger, handler: @escaping Handler) throws(HTTPServerError) {
        self.options = options
        self.handler = handler
        self.logger = logger
        let (listener, port) = try Self.listen(options.listen)
        self.listener = listener
        self.port = port
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0, let readEnd = ends.first, let writeEnd = ends.last else {
            throw HTTPServerError(
                code: .pipe, address: options.listen.description, message: "pipe: \(SocketIO.errorText())")
        }
        stopReader = SocketDescriptor(readEnd)
        stopWriter = SocketDescriptor(writeEnd)
        _ = stopReader.makeNonBlockingAndCloseOnExec()
        _ = stopWriter.makeNonBlockingAndCloseOnExec()
        let thread = Thread { [self] in
            acceptLoop()
            acceptLoopDone.signal()
        }
        thread.name = "sluice-http-accept"
        thread.start()
    }

    deinit {
        listener.close()
        stopReader.close()
        stopWriter.close()
    }

    /// Connections being served right now.
    package var activeConnections: Int {
        lock.lock()
        defer { lock.unlock() }
        return active
    }

    /// Stops accepting, closes idle connections at once and waits up to `timeout` for answers in
    /// progress. Returns false when some connection was still busy at the deadline. Idempotent.
    @discardableResult
    package func stop(timeout: Duration = .seconds(5)) -> Bool {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock()
        if first {
            var byte: UInt8 = 1
            _ = write(stopWriter.raw, &byte, 1)
            acceptLoopDone.wait()
            listener.close()
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        return connections.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds))) == .success
    }

    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    // MARK: - Accepting

    private func acceptLoop() {
        while true {
            let wait = SocketIO.wait(
                listener.raw, events: Int16(POLLIN), until: .now + .seconds(3600), stop: stopReader.raw)
            switch wait {
            case .stopping: return
            case .timedOut: continue
            case .failed:
                logger.log(.warning, "metrics endpoint: poll failed", ["error": "\(SocketIO.errorText())"])
                Thread.sleep(forTimeInterval: 0.1)
                continue
            case .ready: break
            }
            let raw = accept(listener.raw, nil, nil)
            guard raw >= 0 else {
                let code = errno
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    logger.log(.warning, "metrics endpoint: cannot accept", ["error": "\(SocketIO.errorText(code))"])
                    Thread.sleep(forTimeInterval: 0.1)
                }
                continue
            }
            let socket = SocketDescriptor(raw)
            guard socket.makeNonBlockingAndCloseOnExec() else { continue }
            let connection = HTTPConnection(
                socket: socket, options: options, stop: stopReader.raw, handler: handler, logger: logger,
                isStopping: { [weak self] in self?.isStopping ?? true })
            guard admit(connection) else {
                let busy = HTTPResponse.text(.serviceUnavailable, "too many connections, try again")
                _ = SocketIO.sendAll(socket.raw, busy.serialized(keepAlive: false), until: .now)
                continue
            }
            let thread = Thread { [self] in
                connection.run()
                lock.lock()
                active -= 1
                open[ObjectIdentifier(connection)] = nil
                lock.unlock()
                connections.leave()
            }
            thread.name = "sluice-http-connection"
            thread.start()
        }
    }

    /// Counts `connection` in, evicting the connection that has waited longest for a request
    /// when the server is full. False when it is full of connections busy answering (or of evicted
    /// ones still closing: at most twice `maxConnections` threads exist).
    private func admit(_ connection: HTTPConnection) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { return false }
        if active >= options.maxConnections {
            guard active < 2 * options.maxConnections else { return false }
            let waiting = open.values.compactMap { candidate in candidate.waitingSince.map { (candidate, $0) } }
            guard let victim = waiting.min(by: { $0.1 < $1.1 })?.0 else { return false }
            victim.evict()
        }
        active += 1
        open[ObjectIdentifier(connection)] = connection
        connections.enter()
        return true
    }

    // MARK: - Binding

    private static func listen(_ address: HostPort) throws(HTTPServerError) -> (SocketDescriptor, Int) {
        let name = address.description
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard status == 0, let first = found else {
            throw HTTPServerError(code: .resolve, address: name, message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var lastError = HTTPServerError(code: .bind, address: name, message: "no address to bind")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let raw = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard raw >= 0 else {
                lastError = HTTPServerError(code: .socket, address: name, message: "socket: \(SocketIO.errorText())")
                continue
            }
            let socket = SocketDescriptor(raw)
            var yes: Int32 = 1
            _ = setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            guard socket.makeNonBlockingAndCloseOnExec() else { continue }
            guard bind(raw, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastError = HTTPServerError(code: .bind, address: name, message: "bind: \(SocketIO.errorText())")
                continue
            }
            guard Glibc.listen(raw, 128) == 0 else {
                lastError = HTTPServerError(code: .listen, address: name, message: "listen: \(SocketIO.errorText())")
                continue
            }
            return (socket, boundPort(raw) ?? address.port)
        }
        throw lastError
    }

    private static func boundPort(_ raw: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(raw, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
        default:
            return nil
        }
    }
}
