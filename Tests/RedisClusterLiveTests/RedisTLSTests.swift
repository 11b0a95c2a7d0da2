import Foundation
import RedisCluster
import TestSupport
import XCTest

/// TLS to Redis (`RedisTLS`, hiredis 0.14 has none) against Debian's redis-server started with
/// `--tls-port` only (no plain port) and `--tls-auth-clients yes`, with a CA and certificates made
/// by the openssl command in the test's sandbox: the server's names only `localhost`.
final class RedisTLSTests: XCTestCase {
    private struct Server {
        let folder: SandboxFolder
        let port: Int
        let files: String
    }

    nonisolated(unsafe) private static var server: Server?
    nonisolated(unsafe) private static var failure: String?

    override class func setUp() {
        super.setUp()
        do {
            server = try start()
        } catch {
            failure = "\(error)"
        }
    }

    override class func tearDown() {
        server?.folder.close()
        server = nil
        super.tearDown()
    }

    private static func start() throws -> Server {
        let folder = try SandboxFolder(label: "redis-tls")
        let files = try folder.subfolder("tls")
        // EC keys (fast to make); a CA, the server's certificate for localhost, a client's, and
        // a second CA that signed neither.
        let script = """
            set -e
            key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
            ca() { key "$1"; openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1"; }
            sign() {
                key "$1"
                openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1"
                printf '%s\\n' "$2" > "$1.ext"
                openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \\
                    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
            }
            ca ca
            ca other-ca
            sign server 'subjectAltName=DNS:localhost'
            sign client 'extendedKeyUsage=clientAuth'
            """
        let made = try folder.run(
            service: "openssl", executable: "/bin/sh", arguments: ["-c", script], workingDirectory: files,
            logPath: files + "/openssl.log", timeout: 30)
        guard made.status == 0 else { throw RedisError(.usage, "making certificates failed: \(made.output)") }
        let port = try PortAllocator().pick()
        let log = folder.path + "/redis-tls.log"
        let child = try folder.start(
            service: "redis-server tls", executable: try Executables.find("redis-server", service: "redis-server"),
            arguments: [
                "--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--dir", files,
                "--tls-cert-file", files + "/server.pem", "--tls-key-file", files + "/server.key",
                "--tls-ca-cert-file", files + "/ca.pem", "--tls-auth-clients", "yes", "--save", "",
                "--appendonly", "no", "--logfile", "",
            ], workingDirectory: files, logPath: log)
        let ready = Server(folder: folder, port: port, files: files)
        _ = try Readiness.wait(service: "redis-server tls", timeout: 15, logPath: log, process: child) {
            try RedisConnection(endpoint: RedisEndpoint(host: "localhost", port: port), options: options(ready))
                .command(RedisCommand("PING")).text
        }
        return ready
    }

    private static func options(
        _ server: Server, mode: RedisTLS.Mode = .verifyIdentity, ca: String? = "ca", client: Bool = true
    ) -> RedisOptions {
        RedisOptions(
            connectTimeout: 2, commandTimeout: 2,
            tls: RedisTLS(
                mode: mode, ca: ca.map { "\(server.files)/\($0).pem" }, cert: client ? server.files + "/client.pem" : nil,
                key: client ? server.files + "/client.key" : nil))
    }

    private func running() throws -> Server {
        guard let server = Self.server else { throw RedisError(.usage, "TLS redis-server not started: \(Self.failure ?? "?")") }
        return server
    }

    private func connect(
        _ host: String, _ server: Server, mode: RedisTLS.Mode = .verifyIdentity, ca: String? = "ca", client: Bool = true
    ) throws(RedisError) -> RedisConnection {
        try RedisConnection(
            endpoint: RedisEndpoint(host: host, port: server.port),
            options: Self.options(server, mode: mode, ca: ca, client: client))
    }

    /// verify-identity against `localhost`: binary values round-trip, and a pipeline whose replies
    /// (2 MB) take many TLS records arrives whole and in order.
    func testVerifiedConnectionCarriesCommandsAndLargePipelines() throws {
        let server = try running()
        let connection = try connect("localhost", server)
        var set = RedisCommand("SET", "tls:binary")
        let binary: [UInt8] = [0, 1, 2, 0xFF, 13, 10, 0x24]
        set.append(bytes: binary)
        XCTAssertEqual(try connection.command(set), .status("OK"))
        XCTAssertEqual(try connection.command(RedisCommand("GET", "tls:binary")), .bulk(binary))

        let value = String(repeating: "v", count: 1000)
        let writes = (0..<2000).map { RedisCommand("SET", "tls:\($0)", "\($0)\(value)") }
        XCTAssertEqual(try connection.pipeline(writes), Array(repeating: .status("OK"), count: 2000))
        let reads = try connection.pipeline((0..<2000).map { RedisCommand("GET", "tls:\($0)") })
        XCTAssertEqual(reads.map(\.text), (0..<2000).map { "\($0)\(value)" })

        // The cluster client over the same transport (standalone topology).
        let client = try RedisClusterClient(
            topology: .standalone(RedisEndpoint(host: "localhost", port: server.port)), options: Self.options(server))
        XCTAssertEqual(try client.send(RedisCommand("GET", "tls:7"), key: "tls:7").text, "7" + value)
    }

    func testModesCheckWhatTheySay() throws {
        let server = try running()
        // verify-ca checks the signature only: an IP address the certificate does not name is fine.
        XCTAssertEqual(try connect("127.0.0.1", server, mode: .verifyCA).command(RedisCommand("PING")), .status("PONG"))
        // required checks nothing.
        XCTAssertEqual(
            try connect("127.0.0.1", server, mode: .required, ca: nil).command(RedisCommand("PING")), .status("PONG"))

        func refusal(_ make: () throws(RedisError) -> RedisConnection) -> RedisError? {
            do {
                _ = try make().command(RedisCommand("PING"))
                return nil
            } catch {
                return error
            }
        }
        // verify-identity: the certificate names localhost, not 127.0.0.1.
        let wrongName = try XCTUnwrap(refusal { () throws(RedisError) in try connect("127.0.0.1", server) })
        XCTAssertEqual(wrongName.code, .connect)
        XCTAssertTrue(wrongName.message.contains("certificate verification failed: IP address mismatch"), "\(wrongName)")
        XCTAssertEqual(wrongName.node, "127.0.0.1:\(server.port)")
        // A CA that did not sign the server's certificate.
        let wrongCA = try XCTUnwrap(
            refusal { () throws(RedisError) in try connect("localhost", server, mode: .verifyCA, ca: "other-ca") })
        XCTAssertTrue(wrongCA.message.contains("certificate verification failed"), "\(wrongCA)")
        // tls-auth-clients yes: no client certificate, no session (TLS 1.3 says so on the first read).
        let anonymous = try XCTUnwrap(refusal { () throws(RedisError) in try connect("localhost", server, client: false) })
        XCTAssertTrue([.connect, .io].contains(anonymous.code), "\(anonymous)")
        // A missing CA file is named.
        let missing = try XCTUnwrap(refusal { () throws(RedisError) in try connect("localhost", server, ca: "absent") })
        XCTAssertTrue(missing.message.contains("cannot load the CA file \(server.files)/absent.pem"), "\(missing)")
        // Plain RESP to the TLS port gets no answer, within the command timeout.
        let plain = try XCTUnwrap(
            refusal { () throws(RedisError) in
                try RedisConnection(
                    endpoint: RedisEndpoint(host: "127.0.0.1", port: server.port),
                    options: RedisOptions(connectTimeout: 2, commandTimeout: 1))
            })
        XCTAssertEqual(plain.code, .io, "\(plain)")
    }
}
