import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Testing

/// The audit log's filter index (`audit_filters`): written with each entry, read a page at a
/// time, filled when an older store is opened.
@Suite struct AuditFilterIndexTests {
    /// Twelve events, subjects alternating `L-A` and `L-B`, routed to the tax bureau (and every
    /// third to the portal too), then an acknowledgement of event 2, a refusal and an audit read.
    static func fill(_ store: ExchangeStore) async throws {
        for number in 0..<12 {
            let routes = number % 3 == 0 ? [taxRoute, portalRoute] : [taxRoute]
            _ = try await store.append(
                AppendRequest(envelope: sampleEvent(id: "e\(number)", subject: number % 2 == 0 ? "L-A" : "L-B"), routes: routes))
        }
        _ = try await store.appendAudit([
            AuditEvent(kind: .acknowledged, actor: "tax-bureau", fields: ["subscription": "s", "sequence": 2]),
            AuditEvent(kind: .accessDenied, actor: "unknown", fields: ["path": "/v1/x"]),
            AuditEvent(kind: .auditRead, actor: "auditor-1", fields: ["endpoint": "/console/audit/1", "query": ""]),
        ])
    }

    /// The indexes of the entries `keep` accepts, read by scanning the whole log.
    static func scanned(_ store: ExchangeStore, _ keep: (JSONValue) -> Bool) throws -> [UInt64] {
        try store.auditEntryRecords(from: 0, limit: 10_000).filter { keep(try JSONValue.parse($0.entry)) }.map(\.index)
    }

    /// With a merge threshold of 4 most keys are merged into `audit_filters` and the last few
    /// are in the index tail; with 2,048 all are in the tail.
    @Test(arguments: [4, 2048])
    func eachFilterReadsExactlyTheEntriesThatNameItsValue(mergeThreshold: Int) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: mergeThreshold)
        defer { store.close() }
        try await Self.fill(store)
        let cases: [(AuditFilterKey, (JSONValue) -> Bool)] = [
            (.subject("L-A"), { $0["subject"]?.stringValue == "L-A" }),
            (.department("service-portal"), { entry in
                guard case .array(let routes)? = entry["routes"] else { return false }
                return routes.contains { $0["consumer"]?.stringValue == "service-portal" }
            }),
            (.department("tax-bureau"), { entry in
                if entry["actor"]?.stringValue == "tax-bureau" { return true }
                guard case .array(let routes)? = entry["routes"] else { return false }
                return routes.contains { $0["consumer"]?.stringValue == "tax-bureau" }
            }),
            (.agreement("agr-portal-licences"), { entry in
                guard case .array(let routes)? = entry["routes"] else { return false }
                return routes.contains { $0["agreement"]?.stringValue == "agr-portal-licences" }
            }),
            (.kind("access_denied"), { $0["kind"]?.stringValue == "access_denied" }),
            (.sequence(2), { $0["kind"]?.stringValue == "acknowledged" }),
            (.endpoint("/console/audit/1"), { $0["kind"]?.stringValue == "audit_read" }),
        ]
        for (key, keep) in cases {
            let expected = try Self.scanned(store, keep)
            #expect(!expected.isEmpty, "\(key)")
            #expect(try store.auditEntryRecords(matching: key, from: 0, limit: 100).map(\.index) == expected, "\(key)")
            #expect(try store.auditEntryRecords(matching: key, before: nil, limit: 100).map(\.index) == expected.reversed(), "\(key)")
        }
        #expect(try store.auditEntryRecords(matching: .subject("L-C"), before: nil, limit: 100).isEmpty)
        #expect(try store.auditEntryRecords(matching: .subject("L-"), before: nil, limit: 100).isEmpty)
    }

    @Test(arguments: [4, 2048])
    func pagesFollowOneAnotherExactlyWithTheCursor(mergeThreshold: Int) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: mergeThreshold)
        defer { store.close() }
        try await Self.fill(store)
        let all = try Self.scanned(store) { $0["subject"]?.stringValue == "L-B" }
        var pages: [[UInt64]] = []
        var before: UInt64? = nil
        for _ in 0..<10 {
            let page = try store.auditEntryRecords(matching: .subject("L-B"), before: before, limit: 4).map(\.index)
            guard let last = page.last else { break }
            pages.append(page)
            before = last
        }
        try #require(pages.map(\.count) == [4, 2])
        #expect(Array(pages.joined()) == all.reversed())
        // Entries written after the first page do not move the pages below it.
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "late", subject: "L-B"), routes: [taxRoute]))
        #expect(try store.auditEntryRecords(matching: .subject("L-B"), before: pages[0].last, limit: 4).map(\.index) == pages[1])
        var forward: [UInt64] = []
        var from: UInt64 = 0
        for _ in 0..<10 {
            let page = try store.auditEntryRecords(matching: .subject("L-B"), from: from, limit: 4).map(\.index)
            guard let last = page.last else { break }
            forward += page
            from = last + 1
        }
        #expect(forward == all + [store.auditCount - 1])
    }

    @Test func theIndexIsDurableWithItsEntriesAcrossACrash() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.open()
            try await Self.fill(store)
            // No merge of the index tail: the references of the `published` entries and the
            // filter keys of every entry are rebuilt on open.
            store.close(mergingIndexes: false)
        }
        let store = try directory.open()
        defer { store.close() }
        #expect(try store.auditEntryRecords(matching: .subject("L-A"), before: nil, limit: 100).count == 6)
        #expect(try store.auditEntryRecords(matching: .kind("published"), from: 0, limit: 100).count == 12)
    }

    @Test func aLongValueIsHashedAndStillFoundExactly() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        // 300 three-byte characters: 900 bytes, past LMDB's 511-byte keys unless hashed.
        let long = String(repeating: "案", count: 300)
        let other = String(repeating: "案", count: 299) + "件"
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "a", subject: long), routes: [taxRoute]))
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "b", subject: other), routes: [taxRoute]))
        #expect(try store.auditEntryRecords(matching: .subject(long), before: nil, limit: 10).map(\.index) == [0])
        #expect(try store.auditEntryRecords(matching: .subject(other), before: nil, limit: 10).map(\.index) == [1])
    }

    @Test func aFormatFiveStoreIsIndexedWhenOpened() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.open()
            try await Self.fill(store)
            store.close()
        }
        // What a build of format 5 left: no filter index.
        do {
            let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { env.close() }
            try env.write { txn in
                let meta = try txn.openDatabase("meta")
                try txn.drop(try txn.openDatabase("audit_filters"))
                _ = try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 5])
            }
        }
        let store = try directory.open()
        #expect(!store.isBackfillingAuditFilters)
        #expect(try store.auditEntryRecords(matching: .subject("L-A"), before: nil, limit: 100).count == 6)
        #expect(try store.auditEntryRecords(matching: .sequence(2), before: nil, limit: 100).count == 1)
        store.close()
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { env.close() }
        let version = try env.write { txn in try txn.get(try txn.openDatabase("meta"), key: Array("format_version".utf8)) }
        #expect(version == [0, 0, 0, 8])
    }

    @Test func aFormatFourStoreWrittenByThePreviousBuildIsIndexedWhenOpened() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/format-4-store/data.mdb")
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: directory.path + "/data.mdb")
        let store = try directory.open()
        defer { store.close() }
        #expect(try store.auditEntryRecords(matching: .department("consumer-0"), from: 0, limit: 100).count == 40)
        #expect(try store.auditEntryRecords(matching: .kind("published"), before: nil, limit: 100).count == 40)
    }
}
