import ExchangeAudit
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

/// The auditor API: who may call it, what it answers, and that every read is audited.
@Suite struct AuditRoutesTests {
    struct Fixture: Sendable {
        let directory: TemporaryDirectory
        let store: ExchangeStore
        let signer: NoteSigner
        let auditor: String
        let admin: String
        let portal: String
    }

    static func withFixture(_ body: (Fixture, Router<ExchangeRequestContext>) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var file = TokenFile()
        let auditor = try file.create(name: "auditor-1", role: .auditor)
        let admin = try file.create(name: "ops", role: .admin)
        let portal = try file.create(name: "portal-1", role: .portal)
        try file.save(path: directory.file("tokens.json"))
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.file("store"), initialMapSize: 16 << 20))
        defer { store.close() }
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        let exchange = Exchange(store: store, agreements: AgreementRegistry())
        let routes = ExchangeRoutes(exchange: exchange, logger: Logger(label: "test"), auditVerifier: signer.verifier)
        let configuration = ServerConfiguration(certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused")
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver([]), tokens: try TokenStore(path: directory.file("tokens.json")),
            refusalObserver: { refusal in await exchange.recordRefusal(refusal) })
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        routes.register(on: router.group("v1").add(middleware: RequireAuthenticationMiddleware()))
        try await body(Fixture(directory: directory, store: store, signer: signer, auditor: auditor, admin: admin, portal: portal), router)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func lastEntry(_ store: ExchangeStore) throws -> [String: Any] {
        let entry = try #require(try store.auditEntries(from: store.auditCount - 1, limit: 1).first)
        return try #require(try JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any])
    }

    @Test func nonAuditorsAreRefusedAndTheRefusalIsAudited() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                for path in ["/v1/audit/checkpoint", "/v1/audit/entries", "/v1/audit/key", "/v1/audit/events"] {
                    let before = fixture.store.auditCount
                    do {
                        let response = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(fixture.portal)"])
                        #expect(response.status == .forbidden)
                        #expect(try Self.json(response)["code"] as? String == "auth.forbidden")
                    }
                    #expect(fixture.store.auditCount == before + 1)
                    let entry = try Self.lastEntry(fixture.store)
                    #expect(entry["kind"] as? String == "access_denied")
                    #expect(entry["actor"] as? String == "portal-1")
                    #expect(entry["path"] as? String == path)
                }
                do {
                    let response = try await client.execute(uri: "/v1/audit/entries", method: .get)
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }

    /// Sends an auditor's read with `query` (holding the 5,000-byte ``long``), expects 400
    /// and exactly one new audit entry, and hands it to `check`.
    static func refusedAuditorRead(_ query: String, check: @escaping @Sendable ([String: Any]) -> Void) async throws {
        try await withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                let before = fixture.store.auditCount
                let response = try await client.execute(
                    uri: "/v1/audit/entries?" + query, method: .get,
                    headers: [.authorization: "Bearer \(fixture.auditor)"])
                #expect(response.status == .badRequest)
                #expect(fixture.store.auditCount == before + 1)
                check(try lastEntry(fixture.store))
            }
        }
    }

    static let long = String(repeating: "q", count: 5_000)

    /// An auditor's read is audited once, before anything is read, with its query cut short:
    /// a parameter refused afterwards writes no second entry, and no query can grow the log.
    /// (A parameter the endpoint does not read is refused before the read, as a `rejected`
    /// entry, also bounded: see `unknownParametersAreOneBoundedRejection`.)
    @Test func anAuditorsRefusedReadIsOneBoundedEntry() async throws {
        try await Self.refusedAuditorRead("start=x&end=\(Self.long)") { entry in
            #expect(entry["kind"] as? String == "audit_read")
            #expect(((entry["query"] as? String)?.utf8.count ?? .max) <= AuditEvent.maxClientTextBytes)
        }
    }

    @Test func unknownParametersAreOneBoundedRejection() async throws {
        try await Self.refusedAuditorRead("start=0&\(Self.long)=1") { entry in
            #expect(entry["kind"] as? String == "rejected")
            #expect(((entry["reason"] as? String)?.utf8.count ?? .max) <= AuditEvent.maxClientTextBytes)
            #expect((entry["reason"] as? String)?.hasPrefix("unknown query parameter") == true)
        }
    }

    @Test func auditorsReadCheckpointsEntriesAndProofsThatVerify() async throws {
        try await Self.withFixture { fixture, router in
            let store = fixture.store
            _ = try await store.appendAudit((0..<9).map { AuditEvent(kind: .queried, actor: "portal", fields: ["n": .integer(Int64($0))]) })
            let headers: HTTPFields = [.authorization: "Bearer \(fixture.auditor)"]
            try await Application(router: router).test(.router) { client in
                do {
                    let response = try await client.execute(uri: "/v1/audit/checkpoint", method: .get, headers: headers)
                    #expect(response.status == .notFound)
                    #expect(try Self.json(response)["code"] as? String == "audit.no_checkpoint")
                }
                let issuer = try CheckpointIssuer(store: store, signer: fixture.signer, configuration: .init())
                let issued = try #require(try await issuer.issue())

                var note = ""
                do {
                    let response = try await client.execute(uri: "/v1/audit/checkpoint", method: .get, headers: headers)
                    #expect(response.status == .ok)
                    let document = try Self.json(response)
                    note = try #require(document["checkpoint"] as? String)
                    #expect(document["tree_size"] as? Int == Int(issued.treeSize))
                }
                do {
                    let response = try await client.execute(uri: "/v1/audit/key", method: .get, headers: headers)
                    let document = try Self.json(response)
                    #expect(document["verifier_key"] as? String == (try fixture.signer.verifier.verifierKey))
                    #expect(document["algorithm"] as? String == "ed25519")
                    #expect((document["public_key_pem"] as? String)?.hasPrefix("-----BEGIN PUBLIC KEY-----") == true)
                }
                let checkpoint = try Checkpoint(verifying: note, using: [fixture.signer.verifier], origin: fixture.signer.name)

                // Entries with their leaf hashes rebuild the signed root.
                var verifier = try AuditLogVerifier(checkpoints: [checkpoint])
                do {
                    let response = try await client.execute(uri: "/v1/audit/entries?start=0&end=\(checkpoint.treeSize)", method: .get, headers: headers)
                    let entries = try #require(try Self.json(response)["entries"] as? [[String: Any]])
                    #expect(entries.count == Int(checkpoint.treeSize))
                    for entry in entries {
                        let text = try #require(entry["entry"] as? String)
                        let bytes = try #require(Data(base64Encoded: text))
                        let leaf = try Digest(base64: try #require(entry["leaf_hash"] as? String))
                        try verifier.append(index: UInt64(try #require(entry["index"] as? Int)), entry: Array(bytes), storedLeafHash: leaf)
                    }
                }
                #expect(try verifier.finish().verifiedSize == checkpoint.treeSize)

                // An inclusion proof verifies against the checkpoint.
                let entry = try #require(try store.auditEntries(from: 4, limit: 1).first)
                do {
                    let response = try await client.execute(uri: "/v1/audit/proof/inclusion?index=4&tree_size=\(checkpoint.treeSize)", method: .get, headers: headers)
                    let proof = try #require(try Self.json(response)["proof"] as? [String]).map { try Digest(base64: $0) }
                    try checkpoint.merkleTree.verifyInclusion(
                        leafHash: checkpoint.merkleTree.leafHash(entry), leafIndex: 4, treeSize: checkpoint.treeSize, proof: proof,
                        root: checkpoint.rootHash)
                }
                // A consistency proof from size 5 verifies against the roots.
                do {
                    let response = try await client.execute(uri: "/v1/audit/proof/consistency?first=5&second=\(checkpoint.treeSize)", method: .get, headers: headers)
                    let proof = try #require(try Self.json(response)["proof"] as? [String]).map { try Digest(base64: $0) }
                    try checkpoint.merkleTree.verifyConsistency(
                        oldSize: 5, newSize: checkpoint.treeSize, oldRoot: try store.auditRoot(treeSize: 5), newRoot: checkpoint.rootHash,
                        proof: proof)
                }
                // Bad input: a clear problem, nothing but the read's own entry written.
                for query in ["index=99&tree_size=3", "index=x", "tree_size=3"] {
                    do {
                        let response = try await client.execute(uri: "/v1/audit/proof/inclusion?\(query)", method: .get, headers: headers)
                        #expect(response.status == .badRequest, "\(query)")
                        #expect(try Self.json(response)["code"] as? String == "http.bad_request")
                    }
                }
                do {
                    let response = try await client.execute(uri: "/v1/audit/checkpoints", method: .get, headers: [.authorization: "Bearer \(fixture.admin)"])
                    let list = try #require(try Self.json(response)["checkpoints"] as? [[String: Any]])
                    #expect(list.map { $0["tree_size"] as? Int } == [Int(issued.treeSize)])
                }
                // Admins see checkpoints and proofs, never the log's contents.
                for path in ["/v1/audit/entries?start=0&end=1", "/v1/audit/events", "/v1/audit/replay"] {
                    let response = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(fixture.admin)"])
                    #expect(response.status == .forbidden, "\(path)")
                }
            }
        }
    }

    @Test func everyReadIsAuditedAndEventsAreFiltered() async throws {
        try await Self.withFixture { fixture, router in
            let store = fixture.store
            _ = try await store.append(
                AppendRequest(
                    envelope: Envelope(id: "m-1", source: "msa", type: "licence.issued", topic: "licence.business.issued", data: Array("{}".utf8)),
                    routes: [StoredRoute(consumer: "tax", agreement: "agr-tax", agreementVersion: 2)]))
            _ = try await store.appendAudit([AuditEvent(kind: .rejected, actor: "court", fields: ["reason": "no agreement"])])
            let headers: HTTPFields = [.authorization: "Bearer \(fixture.auditor)"]
            try await Application(router: router).test(.router) { client in
                do {
                    let response = try await client.execute(uri: "/v1/audit/events?agreement=agr-tax", method: .get, headers: headers)
                    #expect(response.headers[.contentType] == "application/x-ndjson")
                    let lines = String(buffer: response.body).split(separator: "\n")
                    #expect(lines.count == 1)
                    #expect(lines.first?.hasPrefix(#"{"index":0,"entry":{"actor":"msa","data_digest":""#) == true)
                }
                let read = try Self.lastEntry(store)
                #expect(read["kind"] as? String == "audit_read")
                #expect(read["actor"] as? String == "auditor-1")
                #expect(read["endpoint"] as? String == "/v1/audit/events")
                #expect(read["query"] as? String == "agreement=agr-tax")

                do {
                    let response = try await client.execute(uri: "/v1/audit/events?department=court&type=rejected", method: .get, headers: headers)
                    let lines = String(buffer: response.body).split(separator: "\n")
                    #expect(lines.count == 1)
                    #expect(lines.first?.contains(#""reason":"no agreement""#) == true)
                }
                do {
                    let response = try await client.execute(uri: "/v1/audit/events?type=audit_read", method: .get, headers: headers)
                    // The two earlier reads, and this one (written before the answer).
                    #expect(String(buffer: response.body).split(separator: "\n").count == 3)
                }
                do {
                    let response = try await client.execute(uri: "/v1/audit/events?from=not-a-time", method: .get, headers: headers)
                    #expect(response.status == .badRequest)
                }
            }
        }
    }

    /// A time range whose `from` is after its `until` holds nothing: answered 400 before a page
    /// of the log is read (it used to stream the whole log holding a bulk-read slot), the read
    /// still audited once with its query, and the slot given back.
    @Test(arguments: ["/v1/audit/events", "/v1/audit/replay"])
    func anInvertedTimeRangeIsRefusedBeforeAnyScan(path: String) async throws {
        try await Self.withFixture { fixture, router in
            let headers: HTTPFields = [.authorization: "Bearer \(fixture.auditor)"]
            try await Application(router: router).test(.router) { client in
                let query = "from=2026-06-01T00:00:00Z&until=2025-06-01T00:00:00Z"
                for _ in 0..<3 {
                    let before = fixture.store.auditCount
                    let response = try await client.execute(uri: path + "?" + query, method: .get, headers: headers)
                    #expect(response.status == .badRequest, "\(path)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let problem = try Self.json(response)
                    #expect(problem["code"] as? String == "http.bad_request")
                    #expect((problem["detail"] as? String)?.contains("after until") == true, "\(problem)")
                    #expect(fixture.store.auditCount == before + 1)
                    let read = try Self.lastEntry(fixture.store)
                    #expect(read["kind"] as? String == "audit_read")
                    #expect(read["query"] as? String == query)
                }
                // The slots were given back: a read with an ordered range streams.
                let response = try await client.execute(
                    uri: path + "?from=2025-06-01T00:00:00Z&until=2026-06-01T00:00:00Z", method: .get, headers: headers)
                #expect(response.status == .ok)
                // One instant is a range, not an inverted one.
                let same = try await client.execute(uri: path + "?from=2026-06-01T00:00:00Z&until=2026-06-01T00:00:00Z", method: .get, headers: headers)
                #expect(same.status == .ok)
            }
        }
    }

    @Test func replayAnswersTheEventsWholeWithRoutesAndReceipts() async throws {
        try await Self.withFixture { fixture, router in
            let store = fixture.store
            for (id, agreement) in [("m-1", "agr-tax"), ("m-2", "agr-portal")] {
                _ = try await store.append(
                    AppendRequest(
                        envelope: Envelope(
                            id: id, source: "msa", type: "licence.issued", topic: "licence.business.issued",
                            data: Array(#"{"licence_no":"\#(id)"}"#.utf8)),
                        routes: [StoredRoute(consumer: agreement == "agr-tax" ? "tax" : "portal", agreement: agreement, agreementVersion: 1)]))
            }
            _ = try await store.appendAudit([
                AuditEvent(kind: .acknowledged, actor: "portal", fields: ["subscription": "p", "sequence": 2]),
                AuditEvent(kind: .acknowledged, actor: "tax", fields: ["subscription": "t", "sequence": 1]),
            ])
            let headers: HTTPFields = [.authorization: "Bearer \(fixture.auditor)"]
            try await Application(router: router).test(.router) { client in
                let response = try await client.execute(uri: "/v1/audit/replay?agreement=agr-tax", method: .get, headers: headers)
                #expect(response.status == .ok)
                let lines = String(buffer: response.body).split(separator: "\n").map {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
                }
                #expect(lines.map { $0["type"] as? String } == ["event", "acknowledged"])
                let event = lines.first?["event"] as? [String: Any]
                #expect(event?["id"] as? String == "m-1")
                #expect((event?["data"] as? [String: Any])?["licence_no"] as? String == "m-1")
                #expect(event?["sequence"] as? String == "1")
                let audit = lines.first?["audit"] as? [String: Any]
                #expect((audit?["routes"] as? [[String: Any]])?.first?["agreement"] as? String == "agr-tax")
                #expect(audit?["data_digest"] as? String == (try HashAlgorithm.sha256.digest(Array(#"{"licence_no":"m-1"}"#.utf8)).hex))
                #expect((lines.last?["audit"] as? [String: Any])?["actor"] as? String == "tax")

                let byDepartment = try await client.execute(uri: "/v1/audit/replay?department=portal", method: .get, headers: headers)
                #expect(String(buffer: byDepartment.body).split(separator: "\n").count == 2)
                let refused = try await client.execute(uri: "/v1/audit/replay?type=published", method: .get, headers: headers)
                #expect(refused.status == .badRequest)
                let portal = try await client.execute(
                    uri: "/v1/audit/replay", method: .get, headers: [.authorization: "Bearer \(fixture.portal)"])
                #expect(portal.status == .forbidden)
            }
        }
    }
}
