/// A `host:port` address (`[::1]:6379` for IPv6 literals).
package struct HostPort: Sendable, Equatable, Hashable, CustomStringConvertible {
    package let host: String
    package let port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    struct ParseError: Error, Equatable {
        let message: String
    }

    static func parse(_ text: String) -> Result<HostPort, ParseError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(ParseError(message: "expected \"[ipv6]:port\", got \"\(text)\""))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                return .failure(ParseError(message: "expected \"host:port\", got \"\(text)\""))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else {
            return .failure(ParseError(message: "expected \"host:port\" with a host name or address, got \"\(text)\""))
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            return .failure(ParseError(message: "port must be a number between 1 and 65535 in \"\(text)\""))
        }
        return .success(HostPort(host: String(host), port: port))
    }
}
