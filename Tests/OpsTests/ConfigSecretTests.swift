import Foundation
import XCTest

@testable import Ops

final class ConfigSecretTests: ConfigTestCase {
    private func withSource(_ lines: String) -> String {
        Self.minimal.replacingOccurrences(of: "server_id = 7", with: "server_id = 7\n" + lines)
    }

    func testEnvironmentSubstitution() throws {
        let loaded = try valid(
            withSource("host = \"${DB_HOST}.internal\"\npassword = \"${DB_PASSWORD}\""),
            environment: ["DB_HOST": "db1", "DB_PASSWORD": "hunter2"])
        XCTAssertEqual(loaded.config.source?.host, "db1.internal")
        XCTAssertEqual(loaded.config.source?.password?.revealed, "hunter2")
        XCTAssertTrue(loaded.effective.contains("host = \"db1.internal\""))
        XCTAssertTrue(loaded.effective.contains("password = \"********\""))
        XCTAssertFalse(loaded.effective.contains("hunter2"))

        XCTAssertEqual(try valid(withSource("host = \"a$${LITERAL}$b\"")).config.source?.host, "a${LITERAL}$b")
    }

    func testUnsetEnvironmentVariable() throws {
        XCTAssertEqual(
            try errors(withSource("password = \"${DB_PASSWORD}\"\nhost = \"${A-B}\"\nsocket = \"${OPEN\"")),
            [
                "sluice.toml:4: source.password: environment variable DB_PASSWORD is not set (used as ${DB_PASSWORD})",
                "sluice.toml:5: source.host: '${A-B}' is not a valid environment variable name",
                "sluice.toml:6: source.socket: unterminated '${' in string (write '$${' for a literal '${')",
            ])
    }

    func testPasswordFile() throws {
        try write("db-password", "s3cret\n")
        try write("empty-password", "\n")
        let loaded = try valid(withSource("password_file = \"db-password\""))
        XCTAssertEqual(loaded.config.source?.password, Secret("s3cret"), "relative to the config file, newline trimmed")
        XCTAssertTrue(loaded.effective.contains("password_file = \"db-password\""))
        XCTAssertFalse(loaded.effective.contains("s3cret"))

        XCTAssertEqual(
            try errors(withSource("password_file = \"missing\"")),
            [
                "sluice.toml:4: source.password_file: cannot read \"\(folder)/missing\": no such file"
            ])
        XCTAssertEqual(
            try errors(withSource("password_file = \"\(folder)\"")),
            [
                "sluice.toml:4: source.password_file: cannot read \"\(folder)\": is a directory"
            ])
        XCTAssertEqual(
            try errors(withSource("password_file = \"empty-password\"")),
            [
                "sluice.toml:4: source.password_file: \"\(folder)/empty-password\" is empty"
            ])
    }

    /// A FIFO would block the read until written to, a device gives whatever it gives: both are
    /// named for what they are, not reported as a permission problem.
    func testPasswordFileThatIsAFIFOOrADevice() throws {
        let fifo = folder + "/password-pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertEqual(
            try errors(withSource("password_file = \"password-pipe\"")),
            ["sluice.toml:4: source.password_file: cannot read \"\(fifo)\": is a FIFO (named pipe), not a regular file"])
        XCTAssertEqual(
            try errors(withSource("password_file = \"/dev/null\"")),
            ["sluice.toml:4: source.password_file: cannot read \"/dev/null\": is a character device, not a regular file"])
    }

    /// A UTF-8 byte-order mark at the start of the file (some editors write one) is accepted.
    func testByteOrderMarkIsAccepted() throws {
        let loaded = try valid("\u{FEFF}" + Self.minimal)
        XCTAssertEqual(loaded.config.source?.serverID, 7)
    }

    func testUnreadablePermission() throws {
        let path = try write("locked", "x")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
        if FileManager.default.isReadableFile(atPath: path) {
            throw XCTSkip("running as root: permissions are not enforced")
        }
        XCTAssertEqual(
            try errors(withSource("password_file = \"locked\"")),
            [
                "sluice.toml:4: source.password_file: cannot read \"\(path)\": permission denied"
            ])
    }

    func testSystemdCredential() throws {
        let credentials = folder + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try "from-systemd\r\n".write(toFile: credentials + "/redis-password", atomically: true, encoding: .utf8)
        let text = Self.minimal + "password_credential = \"redis-password\"\n"
        let loaded = try valid(text, environment: ["CREDENTIALS_DIRECTORY": credentials])
        XCTAssertEqual(loaded.config.redis(named: "primary")?.password?.revealed, "from-systemd")
        XCTAssertTrue(loaded.effective.contains("password_credential = \"redis-password\""))
        XCTAssertFalse(loaded.effective.contains("from-systemd"))

        XCTAssertEqual(
            try errors(text),
            [
                "sluice.toml:7: redis.primary.password_credential: credential \"redis-password\" needs $CREDENTIALS_DIRECTORY, "
                    + "which is not set (systemd sets it for units with LoadCredential= or SetCredential=)"
            ])
        XCTAssertEqual(
            try errors(
                Self.minimal + "password_credential = \"other\"\n",
                environment: ["CREDENTIALS_DIRECTORY": credentials]),
            [
                "sluice.toml:7: redis.primary.password_credential: cannot read credential \"other\" at "
                    + "\"\(credentials)/other\": no such file"
            ])
        XCTAssertEqual(
            try errors(
                Self.minimal + "password_credential = \"../etc/passwd\"\n",
                environment: ["CREDENTIALS_DIRECTORY": credentials]),
            [
                "sluice.toml:7: redis.primary.password_credential: credential name \"../etc/passwd\" must be a plain file name"
            ])
    }

    func testOnlyOnePasswordSource() throws {
        try write("pw", "x")
        XCTAssertEqual(
            try errors(withSource("password = \"a\"\npassword_file = \"pw\"")),
            [
                "sluice.toml:5: source.password_file: set only one of password, password_file, password_credential"
            ])
    }

    func testSecretsNeverInMessagesOrOutput() throws {
        // A wrong type on a secret key names the type, not the value.
        XCTAssertEqual(
            try errors(withSource("password = 123456")),
            [
                "sluice.toml:4: source.password: expected a string, got integer"
            ])
        // A syntax error on a secret key doesn't echo the text.
        XCTAssertEqual(
            try errors(withSource("password = hunter2")),
            [
                "sluice.toml:4: invalid value for 'password' (not shown: it holds a secret)"
            ])
        XCTAssertEqual(try errors(withSource("password = \"hunter2")), ["sluice.toml:4: unterminated string"])

        let loaded = try valid(
            Self.minimal + """
                password = "redis-pw"
                [kafka.sasl]
                mechanism = "SCRAM-SHA-512"
                user = "u"
                password = "kafka-pw"
                """)
        XCTAssertEqual(loaded.config.kafka.sasl.password?.revealed, "kafka-pw")
        XCTAssertFalse(loaded.effective.contains("redis-pw"))
        XCTAssertFalse(loaded.effective.contains("kafka-pw"))
        XCTAssertEqual(loaded.effective.components(separatedBy: "password = \"********\"").count - 1, 2)
        // Printing the typed configuration masks too.
        XCTAssertFalse(String(describing: loaded.config).contains("pw\""), String(describing: loaded.config))
        XCTAssertEqual("\(Secret("x"))", "********")
    }

    func testConfigCheckPrintsEffectiveConfigMasked() throws {
        let path = try write("sluice.toml", Self.minimal + "password = \"${PW}\"\n")
        let capture = ConsoleCapture()
        let code = ConfigCheck.run(path: path, quiet: false, environment: ["PW": "topsecret"], console: capture.console)
        XCTAssertEqual(code, .success)
        XCTAssertEqual(capture.err, "")
        XCTAssertTrue(
            capture.out.contains(
                """
                [redis.primary]
                seeds = ["127.0.0.1:7000"]
                mode = "cluster"
                password = "********"
                connect_timeout_ms = 2000
                """), capture.out)
        XCTAssertFalse(capture.out.contains("topsecret"))
        // The printed effective configuration is itself a valid configuration file.
        let again = try write("effective.toml", capture.out)
        XCTAssertNotNil(try? SluiceConfig.load(path: again, environment: [:]).get())
    }

    func testConfigCheckPrintsAllErrorsAndExitsTwo() throws {
        let path = try write("bad.toml", "[source]\nprot = 1\n")
        let capture = ConsoleCapture()
        let code = ConfigCheck.run(path: path, quiet: false, environment: [:], console: capture.console)
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(capture.out, "")
        XCTAssertEqual(
            capture.err,
            """
            \(path):1: source.user: missing required key
            \(path):1: source.server_id: missing required key
            \(path):2: source.prot: unknown key; did you mean "port"?
            sluice: 3 errors in the configuration (\(path))

            """)
    }
}
