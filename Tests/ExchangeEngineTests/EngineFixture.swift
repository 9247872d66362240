import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation

/// An exchange over a real store in a temporary directory, with a small agreement set:
/// `msa` publishes business licences to `tax` (all fields) and to `portal` (two fields).
final class EngineFixture: Sendable {
    let directory: String
    let store: ExchangeStore
    let registry: AgreementRegistry
    let exchange: Exchange

    static let msa = DepartmentID("msa")!
    static let tax = DepartmentID("tax")!
    static let portal = DepartmentID("portal")!
    static let court = DepartmentID("court")!

    init(directory: String? = nil, agreements: [Agreement] = EngineFixture.defaultAgreements(), configuration: EngineConfiguration = .init()) throws {
        let directory = directory ?? NSTemporaryDirectory() + "exchange-engine-tests-" + UUID().uuidString
        self.directory = directory
        store = try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20))
        registry = AgreementRegistry(initial: try Self.set(agreements))
        exchange = Exchange(store: store, agreements: registry, configuration: configuration)
    }

    func close() {
        store.close()
    }

    func remove() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func department(_ id: String) -> Department {
        Department(id: DepartmentID(id)!, name: id, certificate: CertificateIdentity(subjectCommonName: "\(id).example"))
    }

    static func set(_ agreements: [Agreement]) throws -> AgreementSet {
        try AgreementSet(
            departments: ["msa", "tax", "portal", "court", "psb"].map(department),
            topics: [
                TopicDefinition(name: Topic("licence.business.issued")!, owner: msa),
                TopicDefinition(name: Topic("licence.business.revoked")!, owner: msa),
                TopicDefinition(name: Topic("case.outcome.closed")!, owner: DepartmentID("psb")!),
            ],
            agreements: agreements)
    }

    static func defaultAgreements(taxStatus: Agreement.Status = .active, taxVersion: Int = 1) -> [Agreement] {
        [
            Agreement(
                id: "msa-tax", version: taxVersion, provider: msa, consumers: [tax], topics: [TopicPattern("licence.business.>")!],
                purpose: "tax registration", legalBasis: "test", status: taxStatus),
            Agreement(
                id: "msa-portal", provider: msa, consumers: [portal], topics: [TopicPattern("licence.business.issued")!],
                fields: [try! JSONPointer("/licence_no"), try! JSONPointer("/holder/name")], purpose: "portal lookups", legalBasis: "test"),
        ]
    }

    static func licence(_ id: String, number: String = "L-1", topic: String = "licence.business.issued") -> Envelope {
        Envelope(
            id: id, source: "msa", type: "licence.issued", topic: topic, subject: number,
            data: Array(#"{"licence_no":"\#(number)","holder":{"name":"Acme Ltd","credit_code":"9131"},"capital":1000000}"#.utf8))
    }

    func auditKinds() throws -> [String] {
        try store.auditEntries(from: 0, limit: .max).map { entry in
            let object = try JSONSerialization.jsonObject(with: Data(entry)) as! [String: Any]
            return object["kind"] as! String
        }
    }
}

extension ExchangeStore {
    /// The inbox entries of `consumer` from sequence `from`, each with its event, read through
    /// `scanInbox` as replay reads them.
    func inboxEntries(consumer: String, from sequence: UInt64 = 0) throws -> [(entry: InboxEntry, event: StoredEvent)] {
        var entries: [(entry: InboxEntry, event: StoredEvent)] = []
        try scanInbox(consumer: consumer, from: sequence, limit: .max) { entry, view in
            entries.append((entry, try view.decode()))
            return true
        }
        return entries
    }
}
