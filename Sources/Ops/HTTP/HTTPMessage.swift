/// An HTTP status code and its reason phrase.
package struct HTTPStatus: Sendable, Equatable, CustomStringConvertible {
    package let code: Int
    package let reason: String

    package static let ok = HTTPStatus(code: 200, reason: "OK")
    package static let created = HTTPStatus(code: 201, reason: "Created")
    package static let conflict = HTTPStatus(code: 409, reason: "Conflict")
    package static let lengthRequired = HTTPStatus(code: 411, reason: "Length Required")
    package static let contentTooLarge = HTTPStatus(code: 413, reason: "Content Too Large")
    package static let unprocessableContent = HTTPStatus(code: 422, reason: "Unprocessable Content")
    package static let badRequest = HTTPStatus(code: 400, reason: "Bad Request")
    package static let notFound = HTTPStatus(code: 404, reason: "Not Found")
    package static let methodNotAllowed = HTTPStatus(code: 405, reason: "Method Not Allowed")
    package static let requestTimeout = HTTPStatus(code: 408, reason: "Request Timeout")
    package static let headerFieldsTooLarge = HTTPStatus(code: 431, reason: "Request Header Fields Too Large")
    package static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")
    package static let versionNotSupported = HTTPStatus(code: 505, reason: "HTTP Version Not Supported")

    package var description: String { "\(code) \(reason)" }
}

/// One header line of a request, the name as sent (compare case-insensitively).
package struct HTTPHeader: Sendable, Equatable {
    package let name: String
    package let value: String
}

/// A parsed request head (request line and headers), and its body when the server reads bodies
/// (`HTTPParseLimits.maxBodyBytes`); otherwise a request that announces one is answered and its
/// connection closed.
package struct HTTPRequestHead: Sendable, Equatable {
    package let method: String
    /// The request target as sent, e.g. `/metrics?x=1`.
    package let target: String
    /// The target without its query string.
    package let path: String
    /// Minor version of HTTP/1.x.
    package let minorVersion: Int
    package let headers: [HTTPHeader]
    /// Whether a body follows (Content-Length > 0 or a Transfer-Encoding).
    package let hasBody: Bool
    /// Whether the client asked to keep the connection open (HTTP/1.1 default, or 1.0 with
    /// `Connection: keep-alive`), and no body makes it impossible.
    package let keepAlive: Bool
    /// The Content-Length header's value (0 when absent).
    package var contentLength = 0
    /// The body, read only by a server whose `HTTPParseLimits.maxBodyBytes` is above 0.
    package var body: [UInt8] = []

    /// Values of the headers named `name` (case-insensitive), in order.
    package func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }
}

/// A response to send: status, headers beyond the framing ones, and a body.
package struct HTTPResponse: Sendable, Equatable {
    package let status: HTTPStatus
    package let contentType: String
    package let body: String
    package let headers: [HTTPHeader]

    package init(
        _ status: HTTPStatus, contentType: String = "text/plain; charset=utf-8", body: String,
        headers: [HTTPHeader] = []
    ) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A plain-text answer whose body is `message` and a line feed.
    package static func text(_ status: HTTPStatus, _ message: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status, body: message + "\n", headers: headers)
    }

    /// The bytes on the wire. `includeBody` is false for HEAD (Content-Length still tells the
    /// size the GET would have).
    package func serialized(keepAlive: Bool, includeBody: Bool = true) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(bodyBytes.count)\r\n"
        head += "Cache-Control: no-store\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        return Array(head.utf8) + (includeBody ? bodyBytes : [])
    }
}
