import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Testing

@Suite struct StoreLimitTests {
    @Test func mapGrowsUntilItsMaximumThenWritesAreRefusedWhole() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(initialMapSize: 256 << 10, maxMapSize: 2 << 20)
        defer { store.close() }
        var refusal: StoreError?
        var refused: [AppendRequest] = []
        var stored = 0
        for batch in 0..<400 {
            let requests = (0..<10).map { AppendRequest(envelope: sampleEvent(id: "b\(batch)-\($0)", size: 2000)) }
            do {
                _ = try await store.append(contentsOf: requests)
                stored += requests.count
            } catch let error as StoreError {
                refusal = error
                refused = requests
                break
            }
        }
        let error = try #require(refusal)
        #expect(error.code == .storeFull)
        #expect(error.message.contains("maximum size"))
        #expect(store.statistics().mapSize > 256 << 10)
        #expect(store.lastSequence == UInt64(stored))
        #expect(try store.event(UInt64(stored) + 1) == nil)
        #expect(try store.events(from: 1, limit: .max).count == stored)
        #expect(store.auditCount == UInt64(stored))
        // The refused events left no trace: sent again one at a time, each is stored anew while
        // room is left, or refused; none is taken for a duplicate of an event never stored.
        for request in refused.prefix(3) {
            do {
                let result = try await store.append(request)
                #expect(!result.isDuplicate)
                #expect(result.sequence == UInt64(stored) + 1)
                stored += 1
            } catch let error as StoreError {
                #expect(error.code == .storeFull)
            }
        }
        #expect(store.lastSequence == UInt64(stored))
    }

    @Test func storeOfAnotherFormatVersionIsRefused() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        try directory.open().close()
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 16))
        let meta = try env.write { txn in try txn.openDatabase("meta") }
        try env.write { txn in try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 9]) }
        env.close()
        do {
            _ = try directory.open()
            Issue.record("a store of format version 9 was opened")
        } catch let error as StoreError {
            #expect(error.code == .unsupportedFormat)
            #expect(error.message.contains("format version 9"))
        }
    }

    @Test func fileThatIsNotAStoreIsRefused() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 16384).write(to: URL(fileURLWithPath: directory.path + "/data.mdb"))
        #expect(throws: StoreError.self) { _ = try directory.open() }
    }
}
