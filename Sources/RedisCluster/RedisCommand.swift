/// One command as its arguments, stored flat (one byte buffer plus end offsets) so building a
/// command with thousands of arguments costs two growing arrays, not one array per argument.
public struct RedisCommand: Sendable, Equatable {
    public private(set) var bytes: [UInt8] = []
    /// `ends[i]` is one past the last byte of argument i in `bytes`.
    public private(set) var ends: [Int] = []

    public init() {}

    public init(_ args: [String]) {
        for a in args { append(a) }
    }

    public init(_ args: String...) { self.init(args) }

    public var count: Int { ends.count }

    public mutating func append(_ arg: String) {
        var s = arg
        s.withUTF8 { bytes.append(contentsOf: $0) }
        ends.append(bytes.count)
    }

    public mutating func append<C: Collection>(bytes arg: C) where C.Element == UInt8 {
        bytes.append(contentsOf: arg)
        ends.append(bytes.count)
    }

    public mutating func append(_ n: Int) { append(String(n)) }

    /// Argument i as bytes.
    public func argument(_ i: Int) -> ArraySlice<UInt8> {
        let start = i == 0 ? 0 : ends[i - 1]
        return bytes[start..<ends[i]]
    }

    public var arguments: [[UInt8]] { (0..<count).map { Array(argument($0)) } }

    /// The command name, upper-cased, for error messages.
    public var name: String {
        count == 0 ? "" : String(decoding: argument(0), as: UTF8.self).uppercased()
    }
}
