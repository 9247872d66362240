import ExchangeModel
import ExchangeStore
import Foundation

/// A fresh data directory for one test, removed by `remove()`.
struct StoreDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "exchange-store-tests-" + UUID().uuidString
    }

    func open(initialMapSize: Int = 16 << 20, maxMapSize: Int = 1 << 30, dedupMergeThreshold: Int = 65_536) throws -> ExchangeStore {
        try ExchangeStore(
            configuration: StoreConfiguration(
                directory: path, initialMapSize: initialMapSize, maxMapSize: maxMapSize,
                dedupMergeThreshold: dedupMergeThreshold))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// An event with a recognisable payload.
func sampleEvent(
    id: String, source: String = "market-regulation", topic: String = "licence.business.issued",
    subject: String? = "91310000MA1FL0001X", size: Int = 64
) -> Envelope {
    var data = Array(#"{"licence":""#.utf8) + Array(id.utf8) + Array(#"","pad":""#.utf8)
    data += [UInt8](repeating: UInt8(ascii: "x"), count: max(0, size - data.count - 2))
    data += Array(#""}"#.utf8)
    return Envelope(
        id: id, source: source, type: "licence.issued", topic: topic, subject: subject,
        time: "2026-11-27T08:00:00Z", extensions: ["trace": "t-\(id)"], data: data)
}

let taxRoute = StoredRoute(consumer: "tax-bureau", agreement: "agr-business-licences", agreementVersion: 3)
let portalRoute = StoredRoute(consumer: "service-portal", agreement: "agr-portal-licences", agreementVersion: 1)
