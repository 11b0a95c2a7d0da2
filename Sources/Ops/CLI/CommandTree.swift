/// The command tree built from a flat list of commands: intermediate words of a command's path
/// become groups (`sluice bench decode` and `sluice bench redis-apply` share the group `bench`).
struct CommandNode: Sendable {
    let name: String
    /// Words from the root to here, e.g. ["config", "check"].
    let path: [String]
    var command: Command?
    /// Child names in registration order, and the children by name.
    var childOrder: [String] = []
    var children: [String: CommandNode] = [:]

    init(name: String, path: [String]) {
        self.name = name
        self.path = path
    }

    var isGroup: Bool { !childOrder.isEmpty }

    mutating func insert(_ command: Command, remaining: ArraySlice<String>) -> String? {
        guard let word = remaining.first else {
            if self.command != nil { return "command '\(path.joined(separator: " "))' is registered twice" }
            self.command = command
            return nil
        }
        if children[word] == nil {
            childOrder.append(word)
            children[word] = CommandNode(name: word, path: path + [word])
        }
        return children[word]?.insert(command, remaining: remaining.dropFirst())
    }

    /// Registration mistakes: a path that is both a command and a group, an empty path.
    func problems() -> [String] {
        var found: [String] = []
        if command != nil, isGroup {
            found.append("'\(path.joined(separator: " "))' is both a command and a group of commands")
        }
        for name in childOrder { found += children[name]?.problems() ?? [] }
        return found
    }
}
