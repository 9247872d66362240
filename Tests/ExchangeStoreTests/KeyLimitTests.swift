import ExchangeModel
import Testing

@testable import ExchangeStore

/// LMDB refuses keys over 511 bytes. A value that would make one is refused with its own
/// append, before the writer, and never fails the other appends of a group commit or the
/// deduplication index's merges.
@Suite struct KeyLimitTests {
    @Test func anOverlongMessageIDIsRefusedAloneWhileOthersCommit() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    _ = try await store.append(AppendRequest(envelope: sampleEvent(id: String(repeating: "i", count: 600))))
                    return "stored"
                } catch let error as StoreError {
                    return error.code.rawValue
                }
            }
            for index in 0..<20 {
                group.addTask {
                    _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "ok-\(index)")))
                    return "ok"
                }
            }
            return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(outcomes == ["ok": 20, "store.invalid_request": 1])
        #expect(store.lastSequence == 20)
    }

    @Test func anOverlongRegistryIndexValueIsRefused() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let event = sampleEvent(id: "r-1", subject: String(repeating: "s", count: 200))
        let input = RegistryInput(
            collection: "licences", key: event.subject!, action: RegistryAction(type: event.type, topic: event.topic), issuer: event.source,
            holder: String(repeating: "h", count: 300))
        let collection = RegistryCollection(name: "licences")
        await #expect(throws: StoreError.self) {
            _ = try await store.append(AppendRequest(envelope: event, registry: collection, registryInput: input))
        }
        #expect(store.lastSequence == 0)
        var shorter = input
        shorter.holder = String(repeating: "h", count: 128)
        _ = try await store.append(AppendRequest(envelope: event, registry: collection, registryInput: shorter))
        #expect(store.lastSequence == 1)
    }

    /// A subject that fits the entry's key but not its status index key (`not_issued`, the
    /// longest status: 4 + 1 + 10 + 1 + 497 = 513 bytes) is refused with its own append,
    /// before the writer, where it would have failed its whole batch; its history key
    /// (4 + 2 + 497 + 8 = 511) fits.
    @Test func aSubjectTooLongForTheStatusIndexIsRefusedAloneWhileOthersCommit() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let collection = RegistryCollection(name: "licences")
        // A one-byte publisher, so that the issuer index key fits (4 + 1 + 2 + 1 + 497).
        var long = sampleEvent(id: "long", source: "m", subject: String(repeating: "s", count: 497))
        long.type = "licence.amended"
        let request = AppendRequest(envelope: long, registry: collection)
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    _ = try await store.append(request)
                    return "stored"
                } catch let error as StoreError {
                    return error.code.rawValue
                }
            }
            for index in 0..<20 {
                group.addTask {
                    _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "ok-\(index)", subject: "L-\(index)"), registry: collection))
                    return "ok"
                }
            }
            return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(outcomes == ["ok": 20, "store.invalid_request": 1])
        #expect(store.lastSequence == 20)
        var shorter = long
        shorter.subject = String(repeating: "s", count: 495)
        _ = try await store.append(AppendRequest(envelope: shorter, registry: collection))
        #expect(try store.registryEntry(collection: "licences", key: shorter.subject!)?.entry.storedStatus == .notIssued)
    }

    /// A store written before message ids were bounded may hold an event whose deduplication
    /// key is over LMDB's limit; rebuilt into the cache, it must not fail every later merge.
    @Test func anOverlongKeyInTheCacheIsLeftOutOfTheMerge() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 5)
        defer { store.close() }
        // As the rebuild from the log would put it there, before any append runs.
        store.dedupCache.insert(DedupCache.key(publisher: 1, id: String(repeating: "x", count: 600)), .init(sequence: 1, routeCount: 0))
        store.dedupCache.didCommit()
        for index in 0..<12 {
            let result = try await store.append(AppendRequest(envelope: sampleEvent(id: "after-\(index)")))
            #expect(!result.isDuplicate)
        }
        #expect(store.lastSequence == 12)
        #expect(store.statistics().dedupMerges >= 2)
    }
}
