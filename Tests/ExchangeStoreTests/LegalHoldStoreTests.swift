import ExchangeModel
import Foundation
import Testing

@testable import ExchangeStore

/// Legal holds: retention keeps every event a hold covers while it removes the expired events
/// around it, reports the removed ones as ranges that do not span a kept one, and removes the
/// kept ones once the hold is lifted; holds and their audit entries survive a restart.
@Suite struct LegalHoldStoreTests {
    static let topic = "licence.business.issued"
    static let otherTopic = "licence.food.issued"

    /// Appends `count` events of ``topic``: subject `S-(i % 5)`, published by `market-regulation`
    /// (even i) or `health` (odd i), routed under `agr-a` to `tax-bureau` (i % 3 == 0) or under
    /// `agr-b` to `statistics`. Returns each event's sequence.
    static func populate(_ store: ExchangeStore, count: Int, subject: (Int) -> String = { "S-\($0 % 5)" }) async throws -> [UInt64] {
        var sequences: [UInt64] = []
        for index in 0..<count {
            let route =
                index % 3 == 0
                ? StoredRoute(consumer: "tax-bureau", agreement: "agr-a", agreementVersion: 1)
                : StoredRoute(consumer: "statistics", agreement: "agr-b", agreementVersion: 1)
            let envelope = sampleEvent(
                id: "h-\(index)", source: index % 2 == 0 ? "market-regulation" : "health", topic: topic, subject: subject(index))
            sequences.append(try await store.append(AppendRequest(envelope: envelope, routes: [route])).sequence)
        }
        return sequences
    }

    /// Every event of ``topic`` older than an hour (all of them, an hour on).
    static func rule() -> RetentionRule { RetentionRule(topic: topic, policy: RetentionPolicy(maxAge: 60)) }

    /// Runs retention steps of 7 events until one finds nothing to do; at most 200.
    static func expireAll(_ store: ExchangeStore, now: UInt64, rule: RetentionRule = rule()) async throws -> Int {
        var removed = 0
        for _ in 0..<200 {
            let report = try await store.expire([rule], now: now, budget: 7, flushing: true)
            removed += report.removed
            if report.removed == 0, !report.more, !report.waiting { break }
        }
        return removed
    }

    static func live(_ store: ExchangeStore) throws -> [UInt64] {
        try RetentionStoreTests.sequences(store, topic: topic)
    }

    static func hourLater(_ store: ExchangeStore) throws -> UInt64 {
        try #require(try store.event(1)).receivedAt + 3_600_000_000_000
    }

    static func set(_ store: ExchangeStore, _ scope: LegalHold.Scope, _ value: String) async throws -> LegalHoldOutcome {
        try await store.setLegalHold(scope: scope, value: value, reason: "case 2026-17", setBy: "admin-1", now: 1) { hold in
            AuditEvent(kind: .legalHold, actor: "admin-1", fields: ["action": .string("set"), "hold": .integer(Int64(hold.id))])
        }
    }

    static func lift(_ store: ExchangeStore, _ id: UInt64) async throws -> LegalHold? {
        try await store.liftLegalHold(id: id) { hold in
            AuditEvent(kind: .legalHold, actor: "admin-1", fields: ["action": .string("lifted"), "hold": .integer(Int64(hold.id))])
        }
    }

    @Test func aHeldSubjectSurvivesTheStepThatRemovesItsNeighboursUntilTheHoldIsLifted() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let sequences = try await Self.populate(store, count: 30)
        let held = sequences.enumerated().filter { $0.offset % 5 == 2 }.map(\.element)
        let auditBefore = store.auditCount
        guard case .set(let hold) = try await Self.set(store, .subject, "S-2") else {
            Issue.record("the hold was not set")
            return
        }
        #expect(hold.id == 1 && hold.scope == .subject && hold.value == "S-2" && hold.reason == "case 2026-17" && hold.setBy == "admin-1")
        #expect(store.auditCount == auditBefore + 1)
        // Setting it again is the same hold, and no second entry.
        #expect(try await Self.set(store, .subject, "S-2") == .existing(hold))
        #expect(store.auditCount == auditBefore + 1)
        #expect(try store.legalHolds() == [hold])

        let now = try Self.hourLater(store)
        let removed = try await Self.expireAll(store, now: now)
        #expect(removed == 30 - held.count)
        #expect(try Self.live(store) == held)
        for sequence in held { #expect(try store.event(sequence)?.envelope.subject == "S-2") }
        #expect(try store.retainedCount(topic: Self.topic) == UInt64(held.count))
        // The removed events are reported as removed, the kept ones not; no range spans a kept one.
        for sequence in sequences where !held.contains(sequence) {
            #expect(try store.expiredRange(topic: Self.topic, containing: sequence) != nil, "\(sequence)")
        }
        for sequence in held { #expect(try store.expiredRange(topic: Self.topic, containing: sequence) == nil, "\(sequence)") }
        let ranges = try store.expiredRanges(topic: Self.topic)
        #expect(ranges.reduce(0) { $0 + $1.count } == UInt64(removed))
        for range in ranges { #expect(!held.contains { range.first <= $0 && $0 <= range.last }, "\(range)") }

        // Lifted: the next steps remove them too, and the lift is audited.
        #expect(try await Self.lift(store, hold.id) == hold)
        #expect(store.auditCount == auditBefore + 2)
        #expect(try store.legalHolds().isEmpty)
        #expect(try await Self.lift(store, hold.id) == nil)
        #expect(store.auditCount == auditBefore + 2)
        #expect(try await Self.expireAll(store, now: now) == held.count)
        #expect(try Self.live(store).isEmpty)
        for sequence in sequences { #expect(try store.expiredRange(topic: Self.topic, containing: sequence) != nil, "\(sequence)") }
    }

    /// A hold, by its case name: its scope, its value, and which events (by index) it covers.
    static func holdCase(_ name: String) -> (scope: LegalHold.Scope, value: String, covers: (Int) -> Bool) {
        switch name {
        case "topic": (.topic, topic, { _ in true })
        case "agreement": (.agreement, "agr-a", { $0 % 3 == 0 })
        case "publisher": (.department, "health", { $0 % 2 == 1 })
        case "receiver": (.department, "tax-bureau", { $0 % 3 == 0 })
        default: (.subject, "S-0", { $0 % 5 == 0 })
        }
    }

    @Test(arguments: ["topic", "agreement", "publisher", "receiver", "subject"])
    func eachScopeKeepsWhatItCovers(name: String) async throws {
        let (scope, value, covered) = Self.holdCase(name)
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let sequences = try await Self.populate(store, count: 24)
        _ = try await Self.set(store, scope, value)
        let kept = sequences.enumerated().filter { covered($0.offset) }.map(\.element)
        #expect(try await Self.expireAll(store, now: Self.hourLater(store)) == sequences.count - kept.count)
        #expect(try Self.live(store) == kept, "\(scope) \(value)")
    }

    /// A pattern hold keeps every event of each topic it matches, as a hold naming the topic
    /// does, and nothing of the topics it does not match.
    @Test(arguments: [
        ("licence.business.>", true), ("licence.*.issued", true), ("*.business.issued", true), ("licence.>", true),
        ("licence.food.>", false), ("licence.business", false), ("licence.business.issued.>", false), ("LICENCE.BUSINESS.ISSUED", false),
    ])
    func aTopicPatternHoldKeepsEveryTopicItMatches(pattern: String, matches: Bool) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let sequences = try await Self.populate(store, count: 12)
        guard case .set(let hold) = try await Self.set(store, .topic, pattern) else {
            Issue.record("the hold was not set")
            return
        }
        #expect(hold.value == pattern && hold.topicPattern?.rawValue == pattern)
        #expect(try await Self.expireAll(store, now: Self.hourLater(store)) == (matches ? 0 : sequences.count))
        #expect(try Self.live(store) == (matches ? sequences : []), "\(pattern)")
    }

    /// A topic hold's value is a topic name or pattern, a department hold's a department id:
    /// anything else is refused before the writer, and nothing is written.
    @Test(arguments: [
        (LegalHold.Scope.topic, "case.outcome."), (.topic, "case..outcome"), (.topic, "case.>.outcome"), (.topic, "case.out*"),
        (.topic, "案件.结果"), (.department, "no such dept"), (.department, String(repeating: "d", count: 65)),
    ])
    func malformedTopicsAndDepartmentsAreRefusedBeforeTheWriter(scope: LegalHold.Scope, value: String) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let count = store.auditCount
        await #expect(throws: StoreError.self) { _ = try await Self.set(store, scope, value) }
        #expect(store.auditCount == count)
        #expect(try store.legalHolds().isEmpty)
    }

    @Test func moreHeldEventsThanAStepWalksDoNotStallRetention() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        // The 40 oldest are held; a step walks past at most 7 of them.
        let sequences = try await Self.populate(store, count: 50) { $0 < 40 ? "held" : "free-\($0)" }
        _ = try await Self.set(store, .subject, "held")
        #expect(try await Self.expireAll(store, now: Self.hourLater(store)) == 10)
        #expect(try Self.live(store) == Array(sequences.prefix(40)))
    }

    @Test func heldEventsDoNotCountAgainstMaxEvents() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let sequences = try await Self.populate(store, count: 12)
        _ = try await Self.set(store, .subject, "S-1")
        // Without the hold the newest four stay; with it, those four and the held ones.
        let rule = RetentionRule(topic: Self.topic, policy: RetentionPolicy(maxEvents: 4))
        #expect(try await Self.expireAll(store, now: 0, rule: rule) == 6)
        #expect(try Self.live(store) == [1, 6, 8, 9, 10, 11].map { sequences[$0] })
    }

    @Test func holdsSurviveARestart() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        let sequences = try await Self.populate(store, count: 10)
        _ = try await Self.set(store, .subject, "S-1")
        _ = try await Self.set(store, .agreement, "agr-none")
        let holds = try store.legalHolds()
        #expect(holds.map(\.id) == [1, 2])
        store.close()
        store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        #expect(try store.legalHolds() == holds)
        _ = try await Self.expireAll(store, now: Self.hourLater(store))
        #expect(try Self.live(store) == [sequences[1], sequences[6]])
        // Ids are not reused after a lift.
        _ = try await Self.lift(store, 2)
        guard case .set(let next) = try await Self.set(store, .topic, Self.otherTopic) else {
            Issue.record("the hold was not set")
            return
        }
        #expect(next.id == 3)
    }

    @Test func valuesOverTheirLimitsAreRefusedBeforeTheWriter() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let count = store.auditCount
        let tooLong = String(repeating: "x", count: LegalHold.maxValueBytes + 1)
        for (value, reason) in [("", "r"), (tooLong, "r"), ("v", String(repeating: "r", count: LegalHold.maxReasonBytes + 1))] {
            await #expect(throws: StoreError.self) {
                _ = try await store.setLegalHold(scope: .subject, value: value, reason: reason, setBy: "admin-1", now: 1) { _ in
                    AuditEvent(kind: .legalHold, actor: "admin-1")
                }
            }
        }
        #expect(store.auditCount == count)
        #expect(try store.legalHolds().isEmpty)
    }
}
