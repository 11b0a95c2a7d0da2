import Foundation

/// Limits on what a client may send before it gets an answer.
package struct HTTPParseLimits: Sendable, Equatable {
    /// Request line plus headers, in bytes (431 beyond).
    package var maxHeadBytes: Int
    /// Header lines (431 beyond).
    package var maxHeaderCount: Int
    /// Bodies up to this size (Content-Length only) are read and handed to the handler; larger
    /// ones get 413. 0 (the default) reads no body.
    package var maxBodyBytes: Int

    package init(maxHeadBytes: Int = 8192, maxHeaderCount: Int = 100, maxBodyBytes: Int = 0) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The outcome of looking at the bytes received so far.
package enum HTTPHeadParse: Sendable, Equatable {
    /// No complete head yet, and nothing wrong so far: read more.
    case incomplete
    /// A head, and how many bytes of the input it took.
    case complete(HTTPRequestHead, consumed: Int)
    /// Answer with this status and reason, then close.
    case invalid(HTTPStatus, String)
}

/// Parses an HTTP/1.x request head (RFC 9112 sections 2-5) from the bytes received so far. Pure and
/// total: any input gives one of the three outcomes, never a trap. Garbage is recognised as soon
/// as it arrives (a byte no request may contain, a method that is not a token), not only when a
/// blank line ends the head, so a client sending binary junk is answered at once. Lines may end in
/// CRLF or a bare LF; one or more blank lines before the request line are ignored.
package enum HTTPRequestParser {
    package static func parse(_ input: ArraySlice<UInt8>, limits: HTTPParseLimits) -> HTTPHeadParse {
        // Blank lines before the request line (left over from a previous request's body framing).
        let start = input.firstIndex { $0 != cr && $0 != lf } ?? input.endIndex
        let bytes = input[start...]
        if let bad = bytes.first(where: isForbiddenControl) {
            return .invalid(.badRequest, "control byte 0x\(String(bad, radix: 16)) in the request head")
        }
        guard let headEnd = endOfHead(bytes) else {
            if bytes.count > limits.maxHeadBytes {
                return .invalid(.headerFieldsTooLarge, "request head over \(limits.maxHeadBytes) bytes")
            }
            if let problem = earlyProblem(bytes) { return .invalid(.badRequest, problem) }
            return .incomplete
        }
        let head = bytes[..<headEnd.lineStart]
        guard head.count <= limits.maxHeadBytes else {
            return .invalid(.headerFieldsTooLarge, "request head over \(limits.maxHeadBytes) bytes")
        }
        var lines = head.split(separator: lf, omittingEmptySubsequences: false).map { line in
            line.last == cr ? line.dropLast() : line
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { return .invalid(.badRequest, "empty request") }
        let headerLines = lines.dropFirst()
        guard headerLines.count <= limits.maxHeaderCount else {
            return .invalid(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) header lines")
        }
        switch makeHead(requestLine: requestLine, headerLines: Array(headerLines)) {
        case .success(let request): return .complete(request, consumed: headEnd.after - input.startIndex)
        case .failure(let failure): return .invalid(failure.status, failure.reason)
        }
    }

    // MARK: - Pieces

    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let space: UInt8 = 0x20
    private static let tab: UInt8 = 0x09
    private static let colon: UInt8 = 0x3A

    private struct Failure: Error {
        let status: HTTPStatus
        let reason: String
        init(_ status: HTTPStatus, _ reason: String) {
            self.status = status
            self.reason = reason
        }
        init(_ reason: String) { self.init(.badRequest, reason) }
    }

    /// Control bytes other than HT, LF and CR, and DEL: never valid in a request head.
    private static func isForbiddenControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab && byte != lf && byte != cr) || byte == 0x7F
    }

    /// RFC 9110 token characters.
    private static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Where the blank line that ends the head starts, and the index just after it.
    private static func endOfHead(_ bytes: ArraySlice<UInt8>) -> (lineStart: Int, after: Int)? {
        var previousLineEnd: Int?  // index of the LF ending the previous line
        var index = bytes.startIndex
        while let lineFeed = bytes[index...].firstIndex(of: lf) {
            let line = bytes[index..<lineFeed]
            if line.isEmpty || line == [cr] {
                if previousLineEnd != nil { return (index, lineFeed + 1) }
            }
            previousLineEnd = lineFeed
            index = lineFeed + 1
        }
        return nil
    }

    /// A problem visible before the head is complete: the start of the request line can't be a
    /// method, a request line that has ended is malformed, or a bare CR.
    private static func earlyProblem(_ bytes: ArraySlice<UInt8>) -> String? {
        let firstLineEnd = bytes.firstIndex(of: lf)
        let firstLine = bytes[..<(firstLineEnd ?? bytes.endIndex)]
        let methodPart = firstLine.prefix { $0 != space }
        if let bad = methodPart.first(where: { !isTokenChar($0) && !(firstLineEnd != nil && $0 == cr) }) {
            return "byte 0x\(String(bad, radix: 16)) where the request method should be"
        }
        if firstLineEnd != nil {
            let line = firstLine.last == cr ? firstLine.dropLast() : firstLine
            if case .failure(let failure) = parseRequestLine(line) { return failure.reason }
        }
        return nil
    }

    private static func makeHead(requestLine: ArraySlice<UInt8>, headerLines: [ArraySlice<UInt8>])
        -> Result<HTTPRequestHead, Failure>
    {
        let parts: (method: String, target: String, minor: Int)
        switch parseRequestLine(requestLine) {
        case .success(let value): parts = value
        case .failure(let failure): return .failure(failure)
        }
        var headers: [HTTPHeader] = []
        for line in headerLines {
            switch parseHeader(line) {
            case .success(let header): headers.append(header)
            case .failure(let failure): return .failure(failure)
            }
        }
        let lookup = { (name: String) in headers.filter { $0.name.lowercased() == name }.map(\.value) }
        if parts.minor >= 1, lookup("host").count != 1 {
            return .failure(Failure("an HTTP/1.1 request needs exactly one Host header"))
        }
        let lengths = Set(
            lookup("content-length").flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: [" ", "\t"])
            })
        guard lengths.count <= 1 else { return .failure(Failure("conflicting Content-Length headers")) }
        var length = 0
        if let text = lengths.first {
            guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int(text) else {
                return .failure(Failure("Content-Length \"\(text)\" is not a number"))
            }
            length = value
        }
        let hasBody = length > 0 || !lookup("transfer-encoding").isEmpty
        let connection = Set(
            lookup("connection").flatMap { $0.lowercased().split(separator: ",") }.map {
                $0.trimmingCharacters(in: [" ", "\t"])
            })
        let keepAlive = parts.minor >= 1 ? !connection.contains("close") : connection.contains("keep-alive")
        let path =
            parts.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            .map(String.init) ?? parts.target
        var request = HTTPRequestHead(
            method: parts.method, target: parts.target, path: path, minorVersion: parts.minor,
            headers: headers, hasBody: hasBody, keepAlive: keepAlive && !hasBody)
        request.contentLength = length
        return .success(request)
    }

    /// `method SP target SP HTTP/1.x`.
    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<(String, String, Int), Failure> {
        let fields = line.split(separator: space, omittingEmptySubsequences: false)
        guard fields.count == 3, let method = fields.first, let version = fields.last else {
            return .failure(Failure("request line is not \"METHOD target HTTP/1.1\""))
        }
        let target = fields[fields.startIndex + 1]
        guard !method.isEmpty, method.allSatisfy(isTokenChar) else {
            return .failure(Failure("the request method is not a token"))
        }
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(Failure("the request target must be a path starting with /"))
        }
        let versionText = String(decoding: version, as: UTF8.self)
        let digits = Array(version.dropFirst(5))
        guard versionText.hasPrefix("HTTP/"), digits.count == 3, digits[1] == UInt8(ascii: "."),
            let major = digitValue(digits[0]), let minor = digitValue(digits[2])
        else {
            return .failure(Failure("\"\(versionText.prefix(16))\" is not an HTTP version"))
        }
        guard major == 1 else {
            return .failure(Failure(.versionNotSupported, "HTTP/\(major).\(minor) is not supported, only HTTP/1.x"))
        }
        return .success((String(decoding: method, as: UTF8.self), String(decoding: target, as: UTF8.self), minor))
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
    }

    /// `name: value` with optional whitespace around the value; no whitespace before the colon,
    /// no obsolete line folding.
    private static func parseHeader(_ line: ArraySlice<UInt8>) -> Result<HTTPHeader, Failure> {
        if line.first == space || line.first == tab {
            return .failure(Failure("folded header lines are not accepted"))
        }
        guard let colonIndex = line.firstIndex(of: colon) else {
            return .failure(Failure("header line without a colon"))
        }
        let name = line[..<colonIndex]
        guard !name.isEmpty, name.allSatisfy(isTokenChar) else {
            return .failure(Failure("header name is not a token"))
        }
        let value = line[(colonIndex + 1)...].drop { $0 == space || $0 == tab }
        let trimmed = value.reversed().drop { $0 == space || $0 == tab }.reversed()
        guard !trimmed.contains(cr) else { return .failure(Failure("bare CR in a header value")) }
        return .success(
            HTTPHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: trimmed, as: UTF8.self)))
    }
}
