import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

@Suite struct DeliveryTests {
    @Test func subscriberReceivesProjectedEventsAndAcksWriteReceipts() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("portal-feed", SubscriptionSpec(filter: "licence.business.>", start: .all), owner: EngineFixture.portal)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1"), EngineFixture.licence("e2", number: "L-2")], from: EngineFixture.msa)
        let events = try await fixture.exchange.pull("portal-feed", owner: EngineFixture.portal, max: 10)
        #expect(events.map(\.sequence) == [1, 2])
        #expect(events.allSatisfy { $0.agreement == "msa-portal" && $0.deliveryCount == 1 })
        let data = try JSONSerialization.jsonObject(with: Data(events[0].envelope.data)) as! [String: Any]
        #expect(Set(data.keys) == ["licence_no", "holder"])
        #expect((data["holder"] as? [String: Any])?.keys.sorted() == ["name"])

        #expect(try await fixture.exchange.ack([1, 2, 99], subscription: "portal-feed", owner: EngineFixture.portal) == [true, true, false])
        #expect(try fixture.exchange.subscriptionInfo("portal-feed", owner: EngineFixture.portal).pending == 0)
        #expect(try fixture.auditKinds().filter { $0 == "acknowledged" }.count == 2)
        #expect(try await fixture.exchange.pull("portal-feed", owner: EngineFixture.portal, max: 10).isEmpty)
    }

    /// Events are handed out before their delivery record commits; an ack sent at once must
    /// still find them pending, and the next round must not hand them out again.
    @Test func eventsHandedOutBeforeTheirRecordCommitsAreAckedAndNotRepeated() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        let batch = (0..<60).map { EngineFixture.licence("r\($0)", number: "L-\($0)") }
        _ = try await fixture.exchange.publish(batch, from: EngineFixture.msa)
        var delivered: [UInt64] = []
        for _ in 0..<20 {
            // Two rounds back to back: the second starts while the first one's record may
            // still be queued.
            let first = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 7)
            let second = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 4)
            let events = first + second
            if events.isEmpty { break }
            delivered += events.map(\.sequence)
            let acked = try await fixture.exchange.ack(events.map(\.sequence), subscription: "tax-feed", owner: EngineFixture.tax)
            #expect(acked.allSatisfy { $0 }, "an ack sent right after the pull found its event not pending")
        }
        #expect(delivered == Array(1...60))
        #expect(try fixture.exchange.subscriptionInfo("tax-feed", owner: EngineFixture.tax).pending == 0)
        #expect(try fixture.auditKinds().filter { $0 == "acknowledged" }.count == 60)
    }

    @Test func unacknowledgedEventsAreRedeliveredThenDeadLettered() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription(
            // An ack wait long enough that the immediate second pull comes before it ends even
            // when the whole suite loads the machine (3 s was not: under CI's load the first
            // round's record took longer than that to commit, and the deadline runs from the plan).
            "tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, ackWaitMilliseconds: 10_000, maxDeliver: 2), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let first = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10)
        #expect(first.map(\.deliveryCount) == [1])
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).isEmpty)
        let second = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10, wait: .seconds(30))
        #expect(second.map(\.sequence) == [1])
        #expect(second.map(\.deliveryCount) == [2])
        let third = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10, wait: .seconds(15))
        #expect(third.isEmpty)
        #expect(try fixture.exchange.deadLetters(subscription: "tax-feed", owner: EngineFixture.tax).map(\.sequence) == [1])
        #expect(try fixture.auditKinds().contains("dead_lettered"))

        #expect(try await fixture.exchange.redrive([1], subscription: "tax-feed", owner: EngineFixture.tax) == [1])
        let redriven = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10)
        #expect(redriven.map(\.sequence) == [1])
    }

    @Test func discardedDeadLettersAreGoneForGoodAndAudited() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish((1...2).map { EngineFixture.licence("e\($0)") }, from: EngineFixture.msa)
        let handed = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10)
        #expect(try await fixture.exchange.term(handed.map(\.sequence), subscription: "tax-feed", owner: EngineFixture.tax) == [true, true])
        #expect(try await fixture.exchange.discardDeadLetters([1, 7], subscription: "tax-feed", owner: EngineFixture.tax, actor: "ops") == [1])
        #expect(try fixture.exchange.deadLetters(subscription: "tax-feed", owner: EngineFixture.tax).map(\.sequence) == [2])
        // Neither redriven nor delivered again.
        #expect(try await fixture.exchange.redrive([1], subscription: "tax-feed", owner: EngineFixture.tax).isEmpty)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).isEmpty)
        let last = try #require(try fixture.store.auditEntries(from: fixture.store.auditCount - 1, limit: 1).first)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(last)) as? [String: Any])
        #expect(entry["change"] as? String == "discarded" && entry["actor"] as? String == "ops")
        #expect(entry["sequences"] as? [Int] == [1])
        await #expect(throws: ExchangeError.self) {
            _ = try await fixture.exchange.discardDeadLetters([2], subscription: "tax-feed", owner: EngineFixture.msa)
        }
    }

    @Test func aDeliveryRoundReadsOneSnapshot() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish((1...3).map { EngineFixture.licence("e\($0)") }, from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 2).map(\.sequence) == [1, 2])
        #expect(try await fixture.exchange.nak([1, 2], subscription: "tax-feed", owner: EngineFixture.tax) == [true, true])
        // A round with two redeliveries due and a new event: the subscription, the pending
        // list, the redelivered events, the position and the inbox all from one transaction.
        let before = fixture.store.readTransactions
        let round = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10)
        #expect(fixture.store.readTransactions - before == 1)
        #expect(round.map(\.sequence) == [1, 2, 3])
        #expect(round.map(\.deliveryCount) == [2, 2, 1])
    }

    /// Creating, using and deleting subscriptions under ever new names leaves no gate behind:
    /// a department cannot grow the gate table by churning names.
    @Test func deletedSubscriptionsLeaveNoGateBehind() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let gates = fixture.exchange.subscriptionGateCount
        for index in 0..<50 {
            let name = "churn-\(index)"
            try await fixture.exchange.putSubscription(name, SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
            #expect(try await fixture.exchange.pull(name, owner: EngineFixture.tax, max: 10).count == 1)
            try await fixture.exchange.deleteSubscription(name, owner: EngineFixture.tax)
        }
        #expect(fixture.exchange.subscriptionGateCount == gates)
        // A name deleted and made again works as before.
        try await fixture.exchange.putSubscription("churn-0", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        #expect(try await fixture.exchange.pull("churn-0", owner: EngineFixture.tax, max: 10).map(\.sequence) == [1])
    }

    @Test func pullingSubscriptionsThatDoNotExistLeavesNoGateBehind() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10)
        let gates = fixture.exchange.subscriptionGateCount
        for index in 0..<200 {
            let error = await #expect(throws: ExchangeError.self) {
                try await fixture.exchange.pull("made-up-\(index)", owner: EngineFixture.tax, max: 10)
            }
            #expect(error?.code == .subscriptionNotFound)
        }
        _ = try? await fixture.exchange.nak([1], subscription: "made-up-nak", owner: EngineFixture.tax)
        #expect(fixture.exchange.subscriptionGateCount == gates)
        // Another department's subscription is not found either; the subscription still
        // delivers to its owner afterwards.
        await #expect(throws: ExchangeError.self) { try await fixture.exchange.pull("tax-feed", owner: EngineFixture.msa, max: 10) }
        _ = try await fixture.exchange.publish([EngineFixture.licence("after")], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).map(\.envelope.id) == ["after"])
    }

    @Test func longPollWakesUpWhenAnEventArrives() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.tax)
        // The poll would wait a minute; it must end soon after the event is stored. Measured from
        // the publish's answer, so a machine loaded by the whole suite (a slow fsync) does not
        // count against the wake-up.
        async let pulled = fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10, wait: .seconds(60))
        try await Task.sleep(for: .milliseconds(100))
        _ = try await fixture.exchange.publish([EngineFixture.licence("late")], from: EngineFixture.msa)
        let published = ContinuousClock.now
        let events = try await pulled
        #expect(events.map(\.envelope.id) == ["late"])
        #expect(ContinuousClock.now - published < .seconds(20))
    }

    @Test func revokedAgreementWithholdsWhatIsQueuedAndAuditsIt() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1"), EngineFixture.licence("e2")], from: EngineFixture.msa)
        _ = fixture.registry.replace(with: try EngineFixture.set(EngineFixture.defaultAgreements(taxStatus: .revoked)))
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).isEmpty)
        #expect(try fixture.auditKinds().filter { $0 == "withheld" }.count == 2)
    }

    @Test func nakRedeliversAfterTheDelayAndTermDeadLetters() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1"), EngineFixture.licence("e2")], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).count == 2)
        #expect(try await fixture.exchange.nak([1], subscription: "tax-feed", owner: EngineFixture.tax) == [true])
        #expect(try await fixture.exchange.term([2], subscription: "tax-feed", owner: EngineFixture.tax) == [true])
        let again = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10, wait: .seconds(2))
        #expect(again.map(\.sequence) == [1])
        #expect(again.first?.deliveryCount == 2)
        #expect(try fixture.exchange.deadLetters(subscription: "tax-feed", owner: EngineFixture.tax).map(\.sequence) == [2])
    }

    /// One request naming an event many times moves it once and writes one audit entry: a
    /// department cannot grow the audit log by repeating a number.
    @Test func aNumberRepeatedInOneTermMovesTheEventOnceWithOneAuditEntry() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1"), EngineFixture.licence("e2")], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).count == 2)
        let before = try fixture.auditKinds().count
        let answers = try await fixture.exchange.term([2] + Array(repeating: 2, count: 999) + [1], subscription: "tax-feed", owner: EngineFixture.tax)
        #expect(answers == [true] + Array(repeating: false, count: 999) + [true])
        let written = try fixture.auditKinds().dropFirst(before)
        #expect(written.filter { $0 == "dead_lettered" }.count == 2)
        #expect(written.count == 2)
        #expect(try fixture.exchange.deadLetters(subscription: "tax-feed", owner: EngineFixture.tax).map(\.sequence) == [1, 2])
    }

    /// A dead-lettering whose event was settled before the update committed (acknowledged in
    /// between) neither moves it nor writes its audit entry.
    @Test func aDeadLetteringOfAnEventNoLongerPendingWritesNothing() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).count == 1)
        #expect(try await fixture.exchange.ack([1], subscription: "tax-feed", owner: EngineFixture.tax) == [true])
        let before = try fixture.auditKinds().count
        let late = AuditEvent(kind: .deadLettered, actor: "tax-bureau", fields: ["subscription": "tax-feed", "sequence": 1, "deliveries": 1])
        try await fixture.store.apply(SubscriptionUpdate(deadLettered: [(1, 1, late)]), toSubscription: "tax-feed")
        #expect(try fixture.auditKinds().count == before)
        #expect(try fixture.exchange.deadLetters(subscription: "tax-feed", owner: EngineFixture.tax).isEmpty)
    }

    @Test func maxInFlightBoundsUnacknowledgedDeliveries() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, maxInFlight: 3), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish((1...10).map { EngineFixture.licence("e\($0)") }, from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).map(\.sequence) == [1, 2, 3])
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).isEmpty)
        _ = try await fixture.exchange.ack([1, 2], subscription: "tax-feed", owner: EngineFixture.tax)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).map(\.sequence) == [4, 5])
    }

    @Test func anAckThatFreesCapacityWakesAWaitingPull() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, maxInFlight: 1), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1"), EngineFixture.licence("e2")], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10).map(\.sequence) == [1])
        let started = ContinuousClock.now
        // At capacity: this pull waits, until the ack below frees a slot (not until its 20 s).
        async let waiting = fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10, wait: .seconds(20))
        try await Task.sleep(for: .milliseconds(200))
        _ = try await fixture.exchange.ack([1], subscription: "tax-feed", owner: EngineFixture.tax)
        #expect(try await waiting.map(\.sequence) == [2])
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func subscribingWithoutAnAgreementIsDenied() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        do {
            try await fixture.exchange.putSubscription("court-feed", SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.court)
            Issue.record("a department without an agreement subscribed")
        } catch {
            #expect(error.kind == .forbidden)
        }
        #expect(try fixture.auditKinds() == ["access_denied"])
    }

    @Test func subscriptionsAndPendingDeliveriesSurviveRestart() async throws {
        let directory = NSTemporaryDirectory() + "exchange-engine-restart-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let fixture = try EngineFixture(directory: directory)
            try await fixture.exchange.putSubscription(
                "tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, ackWaitMilliseconds: 1), owner: EngineFixture.tax)
            _ = try await fixture.exchange.publish([EngineFixture.licence("e1"), EngineFixture.licence("e2")], from: EngineFixture.msa)
            #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 1).map(\.sequence) == [1])
            fixture.close()
        }
        let fixture = try EngineFixture(directory: directory)
        defer { fixture.close() }
        try await Task.sleep(for: .milliseconds(5))
        let events = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10)
        #expect(events.map(\.sequence) == [1, 2])
        #expect(events.map(\.deliveryCount) == [2, 1])
    }

    @Test func replayShowsEachCallerWhatItIsEntitledTo() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        for range in [1...600, 601...1200] {
            _ = try await fixture.exchange.publish(range.map { EngineFixture.licence("e\($0)") }, from: EngineFixture.msa)
        }
        _ = try await fixture.exchange.publish([EngineFixture.licence("r1", topic: "licence.business.revoked")], from: EngineFixture.msa)
        var chunks = 0
        var portal: [DeliveredEvent] = []
        let count = try await fixture.exchange.replay(ReplayQuery(), scope: .department(EngineFixture.portal), actor: "portal") { chunk in
            chunks += 1
            #expect(chunk.count <= 512)
            portal += chunk
        }
        #expect(count == 1200)
        #expect(chunks >= 3)
        #expect(portal.allSatisfy { $0.agreement == "msa-portal" && !String(decoding: $0.envelope.data, as: UTF8.self).contains("capital") })
        var everything = 0
        try await fixture.exchange.replay(ReplayQuery(topic: TopicPattern("licence.business.revoked")), scope: .everything, actor: "auditor") {
            everything += $0.count
        }
        #expect(everything == 1)
        var court = 0
        try await fixture.exchange.replay(ReplayQuery(), scope: .department(EngineFixture.court), actor: "court") { court += $0.count }
        #expect(court == 0)
        var limited: [UInt64] = []
        try await fixture.exchange.replay(ReplayQuery(fromSequence: 1190, limit: 5), scope: .department(EngineFixture.tax), actor: "tax") {
            limited += $0.map(\.sequence)
        }
        #expect(limited == [1190, 1191, 1192, 1193, 1194])
        #expect(try fixture.auditKinds().filter { $0 == "replayed" }.count == 4)
    }

    @Test func departmentReplayGoesOutWholeFromRecordsOnlyWhereTheAgreementAllowsItAndStopsOnRevocation() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish((1...40).map { EngineFixture.licence("w\($0)") }, from: EngineFixture.msa)
        _ = try await fixture.exchange.publish([EngineFixture.licence("r1", topic: "licence.business.revoked")], from: EngineFixture.msa)
        // tax shares every field: each event straight from its record, under msa-tax v1.
        var whole: [(sequence: UInt64, agreement: String, version: Int, envelope: Envelope)] = []
        var projected = 0
        try await fixture.exchange.replayRecords(ReplayQuery(), scope: .department(EngineFixture.tax), actor: "tax") { item in
            switch item {
            case .record(let view, let agreement, let version): whole.append((view.sequence, agreement, version, try view.decode().envelope))
            case .delivered: projected += 1
            }
        } flush: {}
        #expect(projected == 0)
        #expect(whole.map(\.sequence) == Array(1...41))
        #expect(whole.allSatisfy { $0.agreement == "msa-tax" && $0.version == 1 })
        // The same events through the decoding path, byte for byte.
        var decoded: [DeliveredEvent] = []
        try await fixture.exchange.replay(ReplayQuery(), scope: .department(EngineFixture.tax), actor: "tax") { decoded += $0 }
        #expect(decoded.map(\.envelope) == whole.map(\.envelope))
        // portal sees two fields: every event rechecked and projected, none whole.
        var portalWhole = 0
        var portal: [DeliveredEvent] = []
        try await fixture.exchange.replayRecords(ReplayQuery(), scope: .department(EngineFixture.portal), actor: "portal") { item in
            switch item {
            case .record: portalWhole += 1
            case .delivered(let event): portal.append(event)
            }
        } flush: {}
        #expect(portalWhole == 0)
        #expect(portal.count == 40)
        #expect(portal.allSatisfy { !String(decoding: $0.envelope.data, as: UTF8.self).contains("capital") })
        // Revoked: what was routed under msa-tax is withheld from the replay too.
        _ = fixture.registry.replace(with: try EngineFixture.set(EngineFixture.defaultAgreements(taxStatus: .revoked)))
        var afterRevocation = 0
        var flushes = 0
        try await fixture.exchange.replayRecords(ReplayQuery(), scope: .department(EngineFixture.tax), actor: "tax") { _ in
            afterRevocation += 1
        } flush: {
            flushes += 1
        }
        #expect(afterRevocation == 0)
        // A chunk that hands out nothing is still flushed: where a bulk read yields to live work.
        #expect(flushes >= 1)
    }

    @Test func departmentReplayEqualsARecheckOfEveryInboxEntryAcrossGapsAndAlternatingAgreements() async throws {
        // tax receives msa's licences whole (msa-tax) and psb's closed cases of Ningbo only, one
        // field (psb-tax): its inbox has gaps (psb's other cases) and alternates agreements,
        // publishers and topics, and some events need their data rechecked and projected.
        let psb = DepartmentID("psb")!
        let ningbo = try ContentPattern(JSONValue.parse(#"{"data":{"city":["Ningbo"]}}"#))
        let psbTax = Agreement(
            id: "psb-tax", provider: psb, consumers: [EngineFixture.tax], topics: [TopicPattern("case.outcome.closed")!],
            fields: [try JSONPointer("/case_no")], match: ningbo, purpose: "case outcomes", legalBasis: "test")
        let fixture = try EngineFixture(agreements: EngineFixture.defaultAgreements() + [psbTax])
        defer { fixture.remove() }
        for round in 0..<30 {
            _ = try await fixture.exchange.publish([EngineFixture.licence("l\(round)")], from: EngineFixture.msa)
            let city = round % 3 == 0 ? "Hangzhou" : "Ningbo"
            let closed = Envelope(
                id: "c\(round)", source: "psb", type: "case.closed", topic: "case.outcome.closed", subject: "C-\(round)",
                data: Array(#"{"case_no":"C-\#(round)","city":"\#(city)","judge":"X"}"#.utf8))
            _ = try await fixture.exchange.publish([closed], from: psb)
            if round % 4 == 0 {
                _ = try await fixture.exchange.publish([EngineFixture.licence("r\(round)", topic: "licence.business.revoked")], from: EngineFixture.msa)
            }
        }
        // What delivery's recheck gives for each inbox entry, one by one.
        let set = fixture.registry.current
        var expected: [String] = []
        for (entry, stored) in try fixture.store.inboxEntries(consumer: "tax", from: 1) {
            let route = Route(consumer: EngineFixture.tax, agreementID: entry.agreement, agreementVersion: Int(entry.agreementVersion))
            guard case .deliver(let delivery) = set.recheck(route, envelope: stored.envelope, at: Date()) else { continue }
            expected.append("\(stored.sequence) \(delivery.route.agreementID) v\(delivery.route.agreementVersion) \(String(decoding: delivery.data, as: UTF8.self))")
        }
        var replayed: [String] = []
        var whole = 0
        try await fixture.exchange.replayRecords(ReplayQuery(), scope: .department(EngineFixture.tax), actor: "tax") { item in
            switch item {
            case .record(let view, let agreement, let version):
                whole += 1
                replayed.append("\(view.sequence) \(agreement) v\(version) \(String(decoding: try view.decode().envelope.data, as: UTF8.self))")
            case .delivered(let event):
                replayed.append("\(event.sequence) \(event.agreement) v\(event.agreementVersion) \(String(decoding: event.envelope.data, as: UTF8.self))")
            }
        } flush: {}
        #expect(replayed == expected)
        #expect(whole == 30 + 8, "msa's licences go out whole")
        #expect(replayed.count == 30 + 8 + 20, "and the 20 Ningbo cases projected")
        #expect(replayed.contains { $0.hasSuffix(#"{"case_no":"C-1"}"#) })
        // From the middle, within a gap, with a limit: the same events.
        var tail: [UInt64] = []
        try await fixture.exchange.replay(ReplayQuery(fromSequence: 4, limit: 5), scope: .department(EngineFixture.tax), actor: "tax") {
            tail += $0.map(\.sequence)
        }
        #expect(tail.map { "\($0)" } == expected.map { String($0.prefix { $0 != " " }) }.filter { UInt64($0)! >= 4 }.prefix(5).map { $0 })
    }
}
