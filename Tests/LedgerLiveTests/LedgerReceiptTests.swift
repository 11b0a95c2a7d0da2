import Foundation
import Ops
import TestSupport
import XCTest

@testable import Ledger

/// With `journal_signing_key_file`, a transfer's answer carries a receipt signed with the
/// journal's key, which a client verifies with the public key alone (here also with the
/// `openssl` command line, as a client without sluice would).
final class LedgerReceiptTests: XCTestCase {
    func testATransferAnswerCarriesAReceiptTheClientVerifiesWithThePublicKey() throws {
        let files = try SigningKeyFiles(label: "receipt")
        defer { files.remove() }
        let keys = files.folder
        let publicKey = try JournalKey(pem: files.publicPEM, isPrivate: false, source: "test")
        let fixture = try LedgerFixture(
            label: "ledger-receipt", accounts: 4, ledgerExtra: "journal_signing_key_file = \"\(keys)/journal.pem\"")
        defer { fixture.close() }
        let service = try fixture.service()
        let server = try HTTPServer(
            options: HTTPServerOptions(
                listen: HostPort(host: "127.0.0.1", port: 0), limits: HTTPParseLimits(maxBodyBytes: 4096)),
            logger: Logger(level: .error, format: .text, sink: { _ in }), handler: LedgerAPI(service: service).handle)
        defer { server.stop() }
        let body = #"{"idempotency_key":"rcpt-1","from":1,"to":2,"amount":"12.34"}"#
        let answer = try HTTPClient.request(port: server.port, "POST", "/v1/transfers", body: body)
        XCTAssertEqual(answer.status, 201, answer.body)
        let json = HTTPClient.json(answer.body)
        let receipt = try XCTUnwrap(json["receipt"] as? [String: Any], answer.body)
        XCTAssertEqual(receipt["key_id"] as? String, publicKey.keyIDText)
        XCTAssertTrue(TransferReceipt.verify(receipt, key: publicKey))
        let id = try XCTUnwrap(json["transfer_id"] as? String)
        let sequence = try XCTUnwrap(json["journal_sequence"] as? Int)
        XCTAssertEqual(
            receipt["message"] as? String,
            "sluice-receipt-v1\ntransfer_id=\(id)\namount=1234\nfrom=1,98766,2\nto=2,101234,2\njournal_sequence=\(sequence)"
        )
        // Any changed field breaks the signature.
        var forged = receipt
        forged["message"] = (receipt["message"] as? String)?.replacingOccurrences(
            of: "to=2,101234", with: "to=2,991234")
        XCTAssertFalse(TransferReceipt.verify(forged, key: publicKey))
        // The replayed answer carries the same receipt (Ed25519 is deterministic).
        let again = try HTTPClient.request(port: server.port, "POST", "/v1/transfers", body: body)
        XCTAssertEqual(again.status, 200, again.body)
        XCTAssertEqual(
            (HTTPClient.json(again.body)["receipt"] as? [String: Any])?["signature"] as? String,
            receipt["signature"] as? String)

        // A client with only the public key and openssl.
        let message = keys + "/message.txt"
        let signature = keys + "/signature.bin"
        try XCTUnwrap(receipt["message"] as? String).write(toFile: message, atomically: true, encoding: .utf8)
        try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(receipt["signature"] as? String)))
            .write(to: URL(fileURLWithPath: signature))
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { return }
        let checked = try fixture.sandbox.run(
            service: "openssl", executable: "/usr/bin/openssl",
            arguments: [
                "pkeyutl", "-verify", "-pubin", "-inkey", keys + "/journal.pub.pem", "-rawin", "-in", message,
                "-sigfile", signature,
            ], workingDirectory: keys, logPath: keys + "/openssl.log", timeout: 30)
        XCTAssertEqual(checked.status, 0, checked.output)
        XCTAssertTrue(checked.output.contains("Signature Verified Successfully"), checked.output)
    }
}
