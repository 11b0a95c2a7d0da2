import Foundation

extension TableReader {
    /// A password given one of three ways (at most one): `password` inline (usually `"${ENV}"`),
    /// `password_file` (a file whose content, minus trailing line ends, is the password; relative to
    /// the config file) or `password_credential` (a systemd credential read from
    /// `$CREDENTIALS_DIRECTORY/<name>`). nil when none is set or it can't be read (error recorded).
    func secret(_ base: String = "password") -> Secret? {
        let inline = string(base, secret: true)
        let file = string(base + "_file")
        let credential = string(base + "_credential")
        let given = [(base, inline), (base + "_file", file), (base + "_credential", credential)].filter { $0.1 != nil }
        if given.count > 1 {
            let names = given.map(\.0)
            badValue(names[1], "set only one of \(base), \(base)_file, \(base)_credential")
            return nil
        }
        if let inline { return Secret(inline) }
        if let file {
            let path = context.resolve(file)
            return readSecret(at: path, key: base + "_file", code: .unreadableFile, what: "cannot read \"\(path)\"")
        }
        if let credential {
            let key = base + "_credential"
            guard !credential.isEmpty, !credential.contains("/"), credential != ".", credential != ".." else {
                badValue(key, "credential name \"\(credential)\" must be a plain file name")
                return nil
            }
            guard let directory = context.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                context.error(
                    .missingCredential, line: line(of: key), keyPath: keyPath(key),
                    "credential \"\(credential)\" needs $CREDENTIALS_DIRECTORY, which is not set "
                        + "(systemd sets it for units with LoadCredential= or SetCredential=)")
                return nil
            }
            let path = (directory as NSString).appendingPathComponent(credential)
            return readSecret(
                at: path, key: key, code: .missingCredential,
                what: "cannot read credential \"\(credential)\" at \"\(path)\"")
        }
        return nil
    }

    private func readSecret(at path: String, key: String, code: ConfigError.Code, what: String) -> Secret? {
        let data: Data
        do {
            data = try FileReading.read(path)
        } catch {
            context.error(code, line: line(of: key), keyPath: keyPath(key), what, cause: error.reason)
            return nil
        }
        guard var text = String(validating: data, as: UTF8.self) else {
            badValue(key, "\"\(path)\" is not UTF-8 text")
            return nil
        }
        while text.hasSuffix("\n") || text.hasSuffix("\r") || text.hasSuffix("\r\n") { text.removeLast() }
        guard !text.isEmpty else {
            badValue(key, "\"\(path)\" is empty")
            return nil
        }
        return Secret(text)
    }
}
