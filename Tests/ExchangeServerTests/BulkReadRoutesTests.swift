import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeServer
import ExchangeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TestSupport
import Testing

/// Replays and the auditor's bulk reads share `bulk_reads.max_concurrent`: one more is refused
/// with 503 `replay.busy` and `Retry-After`, before it is audited; a paced replay streams
/// everything.
@Suite struct BulkReadRoutesTests {
    static func withRouter(_ body: (ExchangeStore, Exchange, String, Router<ExchangeRequestContext>) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var file = TokenFile()
        let auditor = try file.create(name: "auditor-1", role: .auditor)
        try file.save(path: directory.file("tokens.json"))
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.file("store"), initialMapSize: 16 << 20))
        defer { store.close() }
        let exchange = Exchange(
            store: store, agreements: AgreementRegistry(),
            configuration: EngineConfiguration(
                replayChunkSize: 8, bulkReads: BulkReadBudget.Configuration(maxConcurrent: 1, maxBytesPerSecond: 1 << 20, maxYield: .milliseconds(1))))
        let routes = ExchangeRoutes(exchange: exchange, logger: Logger(label: "test"), auditVerifier: nil)
        let configuration = ServerConfiguration(certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused")
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver([]), tokens: try TokenStore(path: directory.file("tokens.json")),
            refusalObserver: { refusal in await exchange.recordRefusal(refusal) })
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        routes.register(on: router.group("v1").add(middleware: RequireAuthenticationMiddleware()))
        try await body(store, exchange, auditor, router)
    }

    @Test func aBulkReadBeyondTheLimitIsRefusedWithRetryAfterAndNotAudited() async throws {
        try await Self.withRouter { store, exchange, auditor, router in
            for index in 0..<40 {
                _ = try await store.append(
                    AppendRequest(
                        envelope: Envelope(
                            id: "m-\(index)", source: "msa", type: "licence.issued", topic: "licence.business.issued",
                            data: Array(#"{"licence_no":"\#(index)"}"#.utf8)),
                        routes: [StoredRoute(consumer: "tax", agreement: "agr-tax", agreementVersion: 1)]))
            }
            let headers: HTTPFields = [.authorization: "Bearer \(auditor)"]
            try await Application(router: router).test(.router) { client in
                let streaming = try exchange.beginBulkRead()
                let entries = store.auditCount
                for path in ["/v1/replay", "/v1/audit/events", "/v1/audit/replay"] {
                    let refused = try await client.execute(uri: path, method: .get, headers: headers)
                    #expect(refused.status == .serviceUnavailable, "\(path)")
                    #expect(refused.headers[.retryAfter] == "5", "\(path)")
                    let problem = try JSONSerialization.jsonObject(with: Data(refused.body.readableBytesView)) as? [String: Any]
                    #expect(problem?["code"] as? String == "replay.busy", "\(path)")
                }
                // Refused before anything was written: no `replayed`, no `audit_read`.
                #expect(store.auditCount == entries)
                streaming.release()

                let replay = try await client.execute(uri: "/v1/replay", method: .get, headers: headers)
                #expect(replay.status == .ok)
                let lines = String(buffer: replay.body).split(separator: "\n")
                #expect(lines.count == 40)
                #expect(lines.last?.contains(#""id":"m-39""#) == true)
                let events = try await client.execute(uri: "/v1/audit/events?type=published", method: .get, headers: headers)
                #expect(String(buffer: events.body).split(separator: "\n").count == 40)
                #expect(exchange.bulkReads.active == 0)
            }
        }
    }
}
