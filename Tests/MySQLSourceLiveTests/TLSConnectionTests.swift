import Foundation
import MySQLSource
import TestSupport
import XCTest

/// A CA and certificates made with the openssl CLI in the test, a MariaDB started with them, and
/// each TLS mode connecting (or refusing) as documented in `MySQLTLS`.
final class TLSConnectionTests: XCTestCase {
    private func openssl(_ arguments: [String], in folder: String) throws {
        let result = try ChildProcess.run(
            executable: try Executables.find("openssl", service: "openssl"), arguments: arguments,
            workingDirectory: folder, logPath: folder + "/openssl.log", timeout: 30, service: "openssl")
        XCTAssertEqual(result.status, 0, result.output)
    }

    /// Makes `name`.key/.crt signed by `ca`, for the given subjectAltName.
    private func certificate(_ name: String, ca: String, altName: String, in dir: String) throws {
        try "subjectAltName=\(altName)\n".write(toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
        try openssl(
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-subj", "/CN=\(name)",
                "-out", "\(name).csr",
            ], in: dir)
        try openssl(
            [
                "x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key",
                "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "\(name).ext", "-out", "\(name).crt",
            ], in: dir)
    }

    private func authority(_ name: String, in dir: String) throws {
        try openssl(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-days", "2",
                "-subj", "/CN=\(name)", "-out", "\(name).crt",
            ], in: dir)
    }

    func testModesAgainstAServerWithACertificate() throws {
        let folder = try SandboxFolder(label: "source-tls")
        defer { folder.close() }
        let dir = try folder.subfolder("pki")
        try authority("ca", in: dir)
        try authority("other-ca", in: dir)
        try certificate("server", ca: "ca", altName: "IP:127.0.0.1", in: dir)
        try certificate("client", ca: "ca", altName: "DNS:client", in: dir)
        let ports = PortAllocator()
        let server = try MariaDBServer(
            in: folder, ports: ports, name: "tls-db",
            extraArguments: ["--ssl-ca=\(dir)/ca.crt", "--ssl-cert=\(dir)/server.crt", "--ssl-key=\(dir)/server.key"])
        try server.connect().execute("CREATE USER 'x509'@'%' REQUIRE X509")
        try server.connect().execute("GRANT SELECT ON *.* TO 'x509'@'%'")

        func connect(_ tls: MySQLTLS, user: String = "root", host: String = "127.0.0.1") throws -> MySQLConnection {
            var endpoint = server.endpoint
            endpoint.host = host
            endpoint.user = user
            endpoint.tls = tls
            return try MySQLConnection(endpoint)
        }
        XCTAssertNil(try connect(.disabled).tlsCipher)
        XCTAssertNotNil(try connect(MySQLTLS(mode: .preferred)).tlsCipher)
        XCTAssertNotNil(try connect(MySQLTLS(mode: .required)).tlsCipher)
        let verifyCA = try connect(MySQLTLS(mode: .verifyCA, ca: "\(dir)/ca.crt"))
        XCTAssertNotNil(verifyCA.tlsCipher)
        let status = try verifyCA.query("SHOW SESSION STATUS LIKE 'Ssl_version'")
        XCTAssertTrue((status.value("Value") ?? "").hasPrefix("TLSv1"), "\(status)")
        XCTAssertNotNil(try connect(MySQLTLS(mode: .verifyIdentity, ca: "\(dir)/ca.crt")).tlsCipher)

        // A CA that did not sign the server's certificate: refused by both verifying modes.
        for mode in [MySQLTLS.Mode.verifyCA, .verifyIdentity] {
            XCTAssertThrowsError(try connect(MySQLTLS(mode: mode, ca: "\(dir)/other-ca.crt"))) { error in
                XCTAssertEqual((error as? MySQLError)?.code, 2026, "\(mode): \(error)")
            }
        }
        // The certificate names IP 127.0.0.1, not "localhost": only verify-identity objects.
        XCTAssertNotNil(try connect(MySQLTLS(mode: .verifyCA, ca: "\(dir)/ca.crt"), host: "localhost").tlsCipher)
        XCTAssertThrowsError(try connect(MySQLTLS(mode: .verifyIdentity, ca: "\(dir)/ca.crt"), host: "localhost")) {
            error in
            XCTAssertEqual((error as? MySQLError)?.code, 2026, "\(error)")
        }
        // REQUIRE X509: in with the client certificate, refused without it.
        let withCert = try connect(
            MySQLTLS(mode: .verifyCA, ca: "\(dir)/ca.crt", cert: "\(dir)/client.crt", key: "\(dir)/client.key"),
            user: "x509")
        XCTAssertEqual(try withCert.query("SELECT CURRENT_USER() AS u").value("u"), "x509@%")
        XCTAssertThrowsError(try connect(MySQLTLS(mode: .required), user: "x509")) { error in
            XCTAssertEqual((error as? MySQLError)?.code, 1045, "\(error)")
        }
        // Settings refused before connecting.
        XCTAssertThrowsError(try connect(MySQLTLS(mode: .verifyCA))) { error in
            XCTAssertEqual(
                (error as? MySQLError)?.message,
                "TLS mode verify-ca needs a CA file (ssl_ca) to verify the server's certificate")
        }

        // The replication stream itself over verify-identity TLS.
        try server.connect().execute("CREATE DATABASE shop")
        try server.connect().execute("CREATE TABLE shop.t (id INT PRIMARY KEY)")
        try server.connect().execute("INSERT INTO shop.t VALUES (42)")
        var secure = server.endpoint
        secure.tls = MySQLTLS(mode: .verifyIdentity, ca: "\(dir)/ca.crt")
        let source = BinlogSource(
            SourceConfiguration(
                endpoint: secure, replica: ReplicaOptions(serverID: 77, follow: false), start: .earliest))
        var rows: [RowChange] = []
        while let transaction = try source.next() { rows += transaction.changes }
        XCTAssertEqual(rows.map(\.after), [[.int(42)]])

        // A server without TLS: preferred falls back to plain, the strict modes refuse.
        let plain = try MariaDBServer(in: folder, ports: ports, name: "plain-db")
        var endpoint = plain.endpoint
        endpoint.tls = MySQLTLS(mode: .preferred)
        XCTAssertNil(try MySQLConnection(endpoint).tlsCipher)
        endpoint.tls = MySQLTLS(mode: .required)
        XCTAssertThrowsError(try MySQLConnection(endpoint)) { error in
            XCTAssertEqual((error as? MySQLError)?.code, 2026, "\(error)")
        }
    }
}
