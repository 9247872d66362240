import ExchangeAudit
import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// The index tail: a commit writes the log (and the entries not derived from it), the topic and
/// inbox entries, audit references and Merkle nodes follow in bulk. Readers must see exactly
/// what they saw when every commit wrote its indexes, before and after merges, after a crash
/// and after an upgrade.
@Suite struct IndexTailTests {
    /// Everything a reader can see of the indexes, to compare two stores or one store twice.
    struct Observed: Equatable {
        var inboxes: [String: [InboxEntry]] = [:]
        var topics: [String: [UInt64]] = [:]
        var audit: [AuditEntryRecord] = []
        var root: Digest?

        init(_ store: ExchangeStore, consumers: [String], topics: [String]) throws {
            for consumer in consumers {
                var entries: [InboxEntry] = []
                try store.scanInbox(consumer: consumer, from: 1, limit: .max) { entry, _ in
                    entries.append(entry)
                    return true
                }
                inboxes[consumer] = entries
            }
            for topic in topics {
                var sequences: [UInt64] = []
                try store.scanTopic(topic, from: 1, limit: .max) { view in
                    sequences.append(view.sequence)
                    return true
                }
                self.topics[topic] = sequences
            }
            audit = try store.auditEntryRecords(from: 0, limit: .max)
            root = store.auditCount > 0 ? try store.auditRoot(treeSize: store.auditCount) : nil
        }
    }

    static let consumers = ["tax-bureau", "social-security", "statistics"]
    static let topics = ["licence.business.issued", "licence.business.revoked", "licence.food.issued"]

    /// Appends `count` events over three topics with one to three routes each, and an audit
    /// entry of another kind after every fifth, one commit each.
    static func populate(_ store: ExchangeStore, count: Int, idPrefix: String = "m") async throws {
        for index in 0..<count {
            let routes = (0...(index % 3)).map {
                StoredRoute(consumer: consumers[$0], agreement: "agr-\($0)", agreementVersion: UInt32(1 + index % 2))
            }
            _ = try await store.append(
                AppendRequest(envelope: sampleEvent(id: "\(idPrefix)-\(index)", topic: topics[index % 3]), routes: routes))
            if index % 5 == 4 {
                _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal")])
            }
        }
    }

    /// What a reader sees checked against what was appended: every routed event in each inbox,
    /// in order, with its agreement; every event under its topic; every audit entry with the
    /// leaf hash of its bytes; and the root recomputed from the entries.
    static func expectComplete(_ observed: Observed, events: Int, tree: MerkleTree) throws {
        let sequences = (1...UInt64(events))
        for (position, consumer) in consumers.enumerated() {
            let expected = sequences.filter { Int($0 - 1) % 3 >= position }
            #expect(observed.inboxes[consumer]?.map(\.sequence) == Array(expected), "\(consumer)")
            #expect(observed.inboxes[consumer]?.allSatisfy { $0.agreement == "agr-\(position)" } == true)
        }
        for (position, topic) in topics.enumerated() {
            #expect(observed.topics[topic] == sequences.filter { Int($0 - 1) % 3 == position }, "\(topic)")
        }
        #expect(observed.audit.count == events + events / 5)
        #expect(observed.audit.map(\.index) == Array(0..<UInt64(observed.audit.count)))
        var reference = InMemoryMerkleNodeStorage()
        for record in observed.audit {
            let leaf = try tree.leafHash(record.entry)
            #expect(record.leafHash == leaf, "entry \(record.index)")
            try tree.append(entry: record.entry, treeSize: record.index, to: &reference)
        }
        #expect(observed.root == (try tree.root(treeSize: UInt64(observed.audit.count), nodes: reference)))
        let published = observed.audit.filter { String(decoding: $0.entry, as: UTF8.self).contains(#""kind":"published""#) }
        #expect(published.count == events)
    }

    @Test func readersSeeTheSameIndexesBeforeAndAfterMergesAndAcrossACrash() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        // 45 events and 9 other entries with merges every 8: several merges and a tail left over.
        let store = try directory.open(indexMergeThreshold: 8)
        try await Self.populate(store, count: 45)
        let live = try Observed(store, consumers: Self.consumers, topics: Self.topics)
        try Self.expectComplete(live, events: 45, tree: store.auditTree)
        // As a crash leaves it: the tail is not merged, the next open rebuilds it from the log.
        store.close(mergingIndexes: false)

        let reopened = try directory.open(indexMergeThreshold: 8)
        #expect(try Observed(reopened, consumers: Self.consumers, topics: Self.topics) == live)
        // Appending continues the same tree and indexes.
        try await Self.populate(reopened, count: 5, idPrefix: "after")
        let grown = try Observed(reopened, consumers: Self.consumers, topics: Self.topics)
        try Self.expectComplete(grown, events: 50, tree: reopened.auditTree)
        reopened.close()

        // A graceful close merged everything: the databases alone hold every entry.
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { env.close() }
        let (inbox, topicIndex, audit) = try env.write { txn in
            (try txn.openDatabase("inbox"), try txn.openDatabase("topic_index"), try txn.openDatabase("audit"))
        }
        let counts = try env.read { txn in [try txn.count(inbox), try txn.count(topicIndex), try txn.count(audit)] }
        #expect(counts == [50 + 33 + 16, 50, 60])
    }

    @Test func aCommitLeavesTheIndexesToTheTailUntilItIsMerged() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: 1000)
        try await Self.populate(store, count: 10)
        try Self.expectComplete(try Observed(store, consumers: Self.consumers, topics: Self.topics), events: 10, tree: store.auditTree)
        store.close(mergingIndexes: false)

        // The commits wrote the log and the entries not derived from events, nothing else.
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { env.close() }
        let databases = try env.write { txn in
            try ["log", "inbox", "topic_index", "audit", "audit_tree"].map { try txn.openDatabase($0) }
        }
        let counts = try env.read { txn in try databases.map { try txn.count($0) } }
        #expect(counts == [10, 0, 0, 2, 0])
    }

    /// Scans that start in the middle of the tail, with no limit, and repeated consumers, read
    /// the same before and after a merge.
    @Test func scansFromTheMiddleAndRepeatedConsumersReadTheSameBeforeAndAfterAMerge() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: 1000)
        for index in 0..<12 {
            let routes = [
                StoredRoute(consumer: "tax-bureau", agreement: "agr-old", agreementVersion: 1),
                StoredRoute(consumer: "tax-bureau", agreement: "agr-new", agreementVersion: 2),
            ]
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "d-\(index)"), routes: routes))
        }
        func read(_ store: ExchangeStore) throws -> ([UInt64], [InboxEntry]) {
            var topic: [UInt64] = []
            try store.scanTopic("licence.business.issued", from: 5, limit: .max) { topic.append($0.sequence); return true }
            var inbox: [InboxEntry] = []
            try store.scanInbox(consumer: "tax-bureau", from: 5, limit: .max) { entry, _ in inbox.append(entry); return true }
            return (topic, inbox)
        }
        let tail = try read(store)
        #expect(tail.0 == Array(5...12))
        #expect(tail.1.map(\.sequence) == Array(5...12))
        #expect(tail.1.allSatisfy { $0.agreement == "agr-new" && $0.agreementVersion == 2 })
        store.close()
        let merged = try directory.open(indexMergeThreshold: 1000)
        defer { merged.close() }
        let after = try read(merged)
        #expect(after.0 == tail.0)
        #expect(after.1 == tail.1)
    }

    @Test func readersNeverMissAnEntryWhileMergesRun() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: 3)
        defer { store.close() }
        let events = 120
        let writer = Task {
            for index in 0..<events {
                _ = try await store.append(
                    AppendRequest(envelope: sampleEvent(id: "r-\(index)"), routes: [taxRoute]))
            }
        }
        // Every scan sees a gap-free prefix of the log: a merge never hides entries from a reader.
        var scans = 0
        while scans < 2000 {
            scans += 1
            var seen: [UInt64] = []
            try store.scanInbox(consumer: taxRoute.consumer, from: 1, limit: .max) { entry, _ in
                seen.append(entry.sequence)
                return true
            }
            #expect(seen == Array(1...UInt64(max(1, seen.count))).prefix(seen.count).map { $0 })
            let audit = try store.auditEntries(from: 0, limit: .max)
            #expect(audit.count >= seen.count)
            if seen.count == events { break }
            await Task.yield()
        }
        try await writer.value
    }

    /// A reader takes its view before its read transaction begins; a merge that commits while it
    /// reads must not take the entries away from it (its transaction does not see the merge).
    @Test func aViewKeepsItsEntriesWhenAMergeStartsANewGeneration() {
        let tail = IndexTail(mark: IndexMark(sequence: 0, auditCount: 0), threshold: 4)
        var batch = IndexTail.Batch()
        batch.topics = [(3, 1), (3, 2)]
        batch.inbox = [(7, .init(sequence: 1, agreement: 1, agreementVersion: 1)), (7, .init(sequence: 2, agreement: 1, agreementVersion: 2))]
        batch.auditReferences = [(0, 1), (1, 2)]
        batch.events = 2
        batch.auditEntries = 2
        tail.didCommit(batch, lastSequence: 2, auditCount: 2, merged: nil)
        let view = tail.view

        tail.didCommit(IndexTail.Batch(), lastSequence: 2, auditCount: 2, merged: IndexMark(sequence: 2, auditCount: 2))
        #expect(view.inbox(7, after: 0, limit: 10).map(\.sequence) == [1, 2])
        #expect(view.topic(3, after: 1, limit: 10) == [2])
        #expect(view.auditReference(1) == 2)
        #expect(tail.view.inbox(7, after: 0, limit: 10).isEmpty)

        // And a view hands out nothing committed after it was taken.
        var later = IndexTail.Batch()
        later.inbox = [(7, .init(sequence: 3, agreement: 1, agreementVersion: 2))]
        later.events = 1
        let before = tail.view
        tail.didCommit(later, lastSequence: 3, auditCount: 3, merged: nil)
        #expect(before.inbox(7, after: 0, limit: 10).isEmpty)
        #expect(tail.view.inbox(7, after: 0, limit: 10).map(\.sequence) == [3])
    }

    /// A data directory written by the build of format 4 (`exchange-bench store --count 40
    /// --concurrency 2 --size 64 --topics 3 --routes 2`): its version 1 records, inboxes, topic
    /// index, audit entries and Merkle nodes are read as they are, and new events go on from them.
    @Test func aFormatFourStoreWrittenByThePreviousBuildIsUpgradedInPlace() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/format-4-store/data.mdb")
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: directory.path + "/data.mdb")

        let consumers = ["consumer-0", "consumer-1"]
        let topics = (0..<3).map { "licence.region\($0).issued" }
        var store = try directory.open(indexMergeThreshold: 16)
        let before = try Observed(store, consumers: consumers, topics: topics)
        #expect(before.inboxes["consumer-0"]?.count == 40)
        #expect(before.inboxes["consumer-1"]?.allSatisfy { $0.agreement == "agreement-1" } == true)
        #expect(before.topics.values.map(\.count).reduce(0, +) == 40)
        #expect(before.audit.count == 40)
        for record in before.audit {
            #expect(record.leafHash == (try store.auditTree.leafHash(record.entry)))
        }
        let first = try #require(try store.event(1))
        #expect(first.envelope.data.count == 64)
        // A repeat of an event the old build stored is still a duplicate.
        let repeated = try await store.append(AppendRequest(envelope: first.envelope, routes: []))
        #expect(repeated.isDuplicate && repeated.sequence == 1)

        // New events are written in the new layout beside the old ones.
        for index in 0..<30 {
            let routes = consumers.enumerated().map { StoredRoute(consumer: $1, agreement: "agreement-\($0)", agreementVersion: 1) }
            _ = try await store.append(
                AppendRequest(envelope: sampleEvent(id: "new-\(index)", topic: topics[index % 3]), routes: routes))
        }
        let grown = try Observed(store, consumers: consumers, topics: topics)
        #expect(grown.inboxes["consumer-0"]?.map(\.sequence) == Array(1...70))
        #expect(grown.audit.count == 70)
        #expect(Array(grown.audit.prefix(40)) == before.audit)
        store.close(mergingIndexes: false)

        store = try directory.open(indexMergeThreshold: 16)
        defer { store.close() }
        #expect(try Observed(store, consumers: consumers, topics: topics) == grown)
        var reference = InMemoryMerkleNodeStorage()
        for record in grown.audit {
            try store.auditTree.append(entry: record.entry, treeSize: record.index, to: &reference)
        }
        #expect(try store.auditRoot(treeSize: 70) == store.auditTree.root(treeSize: 70, nodes: reference))
        #expect(try store.auditRoot(treeSize: 40) == before.root)
    }
}
