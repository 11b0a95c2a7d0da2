/// One command as its arguments, stored flat (one byte buffer plus end offsets) so building a
/// command with thousands of arguments costs two growing arrays, not one array per argument.
package struct RedisCommand: Sendable, Equatable {
    package private(set) var bytes: [UInt8] = []
    /// `ends[i]` is one past the last byte of argument i in `bytes`.
    package private(set) var ends: [Int] = []

    package init() {}

    package init(_ args: [String]) {
        for a in args { append(a) }
    }

    package init(_ args: String...) { self.init(args) }

    package var count: Int { ends.count }

    package mutating func append(_ arg: String) {
        var s = arg
        s.withUTF8 { bytes.append(contentsOf: $0) }
        ends.append(bytes.count)
    }

    package mutating func append<C: Collection>(bytes arg: C) where C.Element == UInt8 {
        bytes.append(contentsOf: arg)
        ends.append(bytes.count)
    }

    package mutating func append(_ n: Int) { append(String(n)) }

    /// Argument i as bytes.
    package func argument(_ i: Int) -> ArraySlice<UInt8> {
        let start = i == 0 ? 0 : ends[i - 1]
        return bytes[start..<ends[i]]
    }

    package var arguments: [[UInt8]] { (0..<count).map { Array(argument($0)) } }

    /// The command name, upper-cased, for error messages.
    package var name: String {
        count == 0 ? "" : String(decoding: argument(0), as: UTF8.self).uppercased()
    }
}
