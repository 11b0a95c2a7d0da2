import Foundation
import MySQLSource
import Ops

/// The ledger's HTTP/1.1 JSON API, as one handler for the Ops `HTTPServer`:
///
/// - `POST /v1/transfers` `{"idempotency_key", "from", "to", "amount"}`: 201 with the transfer;
///   the same key and request again: 200 with the same answer; the same key with another request:
///   409; a business refusal: 422 `{"error": "<reason code>"}` (a risk rule's: `{"error":
///   "risk_refused", "rule": "<rule's reason code>", "account", "detail"}`); malformed input: 400 naming the
///   field; a shard or the journal unavailable: 503 with nothing done.
/// - `GET /v1/accounts/{id}`, `GET /v1/transfers/{id}`: 200 or 404.
/// - `GET /health`: 200 when the journal accepts records and every shard answers, else 503.
package struct LedgerAPI: Sendable {
    /// Why a request body was refused (400), naming the field.
    package struct BadInput: Error, Equatable {
        package let message: String
        init(_ message: String) { self.message = message }
    }

    package let service: LedgerService
    /// Served at `GET /metrics` when given.
    package let registry: MetricsRegistry?

    package init(service: LedgerService, registry: MetricsRegistry? = nil) {
        self.service = service
        self.registry = registry
    }

    package func handle(_ request: HTTPRequestHead) -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.count, parts.first, parts.dropFirst().first) {
        case ("POST", 2, "v1", "transfers"):
            return postTransfer(request.body)
        case ("GET", 3, "v1", "accounts"), ("HEAD", 3, "v1", "accounts"):
            return getAccount(parts[2], query: request.target)
        case ("GET", 3, "v1", "transfers"), ("HEAD", 3, "v1", "transfers"):
            return getTransfer(parts[2])
        case ("GET", 1, "health", _), ("HEAD", 1, "health", _):
            return health()
        case ("GET", 1, "metrics", _), ("HEAD", 1, "metrics", _):
            guard let registry else { return Self.json(.notFound, ["error": "not_found", "detail": "no metrics"]) }
            return HTTPResponse(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.render())
        case (_, 2, "v1", "transfers"), (_, 3, "v1", "accounts"), (_, 3, "v1", "transfers"), (_, 1, "health", _):
            return Self.json(
                .methodNotAllowed, ["error": "method_not_allowed", "detail": "\(request.method) is not allowed here"])
        default:
            return Self.json(.notFound, ["error": "not_found", "detail": "no route \(request.path)"])
        }
    }

    // MARK: - Transfers

    private struct TransferBody: Decodable {
        let idempotencyKey: String
        let from: Int64
        let to: Int64
        let amount: String

        enum CodingKeys: String, CodingKey {
            case idempotencyKey = "idempotency_key"
            case from, to, amount
        }
    }

    /// Parses and validates a transfer body; the error names the field.
    package static func parseTransfer(_ body: [UInt8], scale: Int) -> Result<TransferRequest, BadInput> {
        guard !body.isEmpty else { return .failure(BadInput("the body is empty; send a JSON object")) }
        let decoded: TransferBody
        do {
            decoded = try JSONDecoder().decode(TransferBody.self, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            return .failure(BadInput("field \(key.stringValue) is missing"))
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            return .failure(BadInput("field \(Self.field(context)) has the wrong type"))
        } catch let DecodingError.valueNotFound(_, context) where !context.codingPath.isEmpty {
            return .failure(BadInput("field \(Self.field(context)) is null"))
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            return .failure(BadInput("field \(Self.field(context)) is malformed"))
        } catch {
            return .failure(BadInput("the body is not a JSON object"))
        }
        let key = decoded.idempotencyKey
        guard (1...128).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else {
            return .failure(BadInput("field idempotency_key must be 1-128 printable ASCII characters without spaces"))
        }
        guard decoded.from > 0 else { return .failure(BadInput("field from must be a positive account id")) }
        guard decoded.to > 0 else { return .failure(BadInput("field to must be a positive account id")) }
        do {
            let amount = try Amount.parse(decoded.amount, scale: scale)
            return .success(TransferRequest(idempotencyKey: key, from: decoded.from, to: decoded.to, amount: amount))
        } catch {
            return .failure(BadInput("field amount: \(error)"))
        }
    }

    private static func field(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private func postTransfer(_ body: [UInt8]) -> HTTPResponse {
        let request: TransferRequest
        switch Self.parseTransfer(body, scale: service.amountScale) {
        case .success(let value): request = value
        case .failure(let problem): return Self.json(.badRequest, ["error": "bad_request", "detail": problem.message])
        }
        switch service.transfer(request) {
        case .created(let result): return Self.json(.created, transferJSON(result, amount: request.amount.minorUnits))
        case .replayed(let result): return Self.json(.ok, transferJSON(result, amount: request.amount.minorUnits))
        case .conflict(let id):
            return Self.json(
                .conflict,
                [
                    "error": "idempotency_conflict", "transfer_id": id,
                    "detail": "the idempotency key was used for a transfer with other accounts or amount",
                ])
        case .refused(let refusal): return Self.json(.unprocessableContent, ["error": refusal.rawValue])
        case .riskRefused(let refusal):
            return Self.json(
                .unprocessableContent,
                [
                    "error": "risk_refused", "rule": refusal.rule.rawValue, "account": refusal.account,
                    "detail": refusal.detail,
                ])
        case .unavailable(let reason):
            return Self.json(.serviceUnavailable, ["error": "unavailable", "detail": reason, "state": "aborted"])
        case .pending(let id, let reason):
            return Self.json(
                .serviceUnavailable,
                ["error": "commit_pending", "transfer_id": id, "state": "decided", "detail": reason])
        }
    }

    private func transferJSON(_ result: TransferResult, amount: Int64) -> [String: Any] {
        var out: [String: Any] = [
            "transfer_id": result.transferID, "state": "committed",
            "amount": Amount.text(minor: amount, scale: service.amountScale),
            "from": accountJSON(result.from), "to": accountJSON(result.to),
            "journal_sequence": result.journalSequence,
        ]
        if let key = service.journal.signingKey {
            out["receipt"] = TransferReceipt.json(result, amountMinor: amount, key: key)
        }
        return out
    }

    private func accountJSON(_ account: AccountState) -> [String: Any] {
        var out: [String: Any] = [
            "id": account.id, "balance": Amount.text(minor: account.balanceMinor, scale: service.amountScale),
            "version": account.version,
        ]
        if !account.currency.isEmpty { out["currency"] = account.currency }
        if !account.status.isEmpty { out["status"] = account.status }
        if !account.owner.isEmpty { out["owner"] = account.owner }
        return out
    }

    /// `?consistent=true|false` of a request target (false when absent); nil when malformed.
    package static func consistentFlag(_ target: String) -> Bool? {
        guard let mark = target.firstIndex(of: "?") else { return false }
        var consistent = false
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first == "consistent" else { continue }
            switch parts.count == 2 ? parts[1] : "" {
            case "true", "1": consistent = true
            case "false", "0": consistent = false
            default: return nil
            }
        }
        return consistent
    }

    /// L1/L2/L3 (`AccountReads`), or the shard alone with `?consistent=true`.
    private func getAccount(_ text: String, query target: String) -> HTTPResponse {
        guard let id = Int64(text), id > 0 else {
            return Self.json(
                .badRequest, ["error": "bad_request", "detail": "account id \"\(text)\" is not a positive integer"])
        }
        guard let consistent = Self.consistentFlag(target) else {
            return Self.json(.badRequest, ["error": "bad_request", "detail": "consistent must be true or false"])
        }
        do {
            let found: AccountState?
            if let reads = service.reads {
                found = try reads.account(id, consistent: consistent)
            } else {
                found = try service.account(id)
            }
            guard let account = found else {
                return Self.json(.notFound, ["error": "unknown_account"])
            }
            return Self.json(.ok, accountJSON(account))
        } catch {
            return Self.json(.serviceUnavailable, ["error": "unavailable", "detail": error.description])
        }
    }

    private func getTransfer(_ id: String) -> HTTPResponse {
        do {
            guard let entry = try service.transferEntry(id) else {
                return Self.json(.notFound, ["error": "unknown_transfer"])
            }
            var body = transferJSON(service.result(of: entry), amount: entry.amountMinor)
            body["idempotency_key"] = entry.idempotencyKey
            return Self.json(.ok, body)
        } catch {
            return Self.json(.serviceUnavailable, ["error": "unavailable", "detail": error.description])
        }
    }

    private func health() -> HTTPResponse {
        var problems: [String] = []
        if let failure = service.journal.failure { problems.append("journal: \(failure.message)") }
        for pool in service.shards {
            do {
                _ = try pool.with { connection throws(MySQLError) in try connection.query("SELECT 1") }
            } catch {
                problems.append("shard \(pool.index): \(error)")
            }
        }
        if problems.isEmpty { return Self.json(.ok, ["status": "ok", "shards": service.shards.count]) }
        return Self.json(.serviceUnavailable, ["status": "unavailable", "problems": problems])
    }

    static func json(_ status: HTTPStatus, _ object: [String: Any]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status, contentType: "application/json", body: String(decoding: data, as: UTF8.self) + "\n")
    }
}
