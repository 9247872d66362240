public import ExchangeModel
import ExchangeRouting
import ExchangeStore
import CoreMetrics
import Foundation

/// The answer to one published event.
public struct PublishOutcome: Hashable, Sendable {
    /// The publisher's message id.
    public var id: String
    /// The event's sequence in the exchange log (the original one for a duplicate).
    public var sequence: UInt64
    /// `true` when the event had been published before: nothing new was stored.
    public var isDuplicate: Bool
    /// How many consumers the event was routed to.
    public var routeCount: Int

    /// Creates an outcome.
    public init(id: String, sequence: UInt64, isDuplicate: Bool, routeCount: Int) {
        self.id = id
        self.sequence = sequence
        self.isDuplicate = isDuplicate
        self.routeCount = routeCount
    }
}

extension Exchange {
    /// Publishes events from an authenticated department, all or none.
    ///
    /// Each event's `source` is set to the publisher. The publisher must own each event's topic.
    /// (The size of each event and of a batch are checked once, where events are parsed, against
    /// ``EngineConfiguration/limits``.) The events are routed through the agreements in force and
    /// stored with their routes, audit entries and registry updates (topics that feed a registry
    /// collection) in one transaction; this returns after that
    /// transaction committed with fsync. A refused publish stores nothing and writes a
    /// `rejected` audit entry.
    /// - Parameters:
    ///   - events: the events, in order (a batch is atomic).
    ///   - publisher: the authenticated department.
    /// - Returns: one outcome per event.
    /// - Throws: `ExchangeError` (`publish.empty`, `publish.field_too_long`, `publish.schema_violation`,
    ///   `publish.id_conflict` for a repeated message id with other content, audited, naming the
    ///   original in ``ExchangeError/originalSequence`` (none when the original is an earlier
    ///   event of the same batch, which is not stored either),
    ///   `access.unknown_topic`, `access.not_topic_owner`,
    ///   or ``ExchangeError/Code/store`` with the store's error such as `store.full`, ...).
    public func publish(_ events: [Envelope], from publisher: DepartmentID) async throws(ExchangeError) -> [PublishOutcome] {
        let started = ContinuousClock.now
        let requests: [AppendRequest]
        do {
            requests = try prepare(events, from: publisher)
        } catch {
            throw await refuse(error)
        }
        let results: [AppendResult]
        do {
            results = requests.count == 1 ? [try await store.append(requests[0])] : try await store.append(contentsOf: requests)
        } catch let conflict as AppendConflict {
            throw await refuse(Self.refusal(conflict, of: requests, from: publisher))
        } catch {
            throw Self.mapped(error)
        }
        return record(results, of: requests, started: started)
    }

    /// Publishes events (atomically, as ``publish(_:from:)`` does) without suspending the
    /// caller: checks and routes them at once, and calls `completion` after the transaction
    /// that stores them committed with fsync, or with the refusal (audited first) or the
    /// store's error.
    ///
    /// For pipelined publishers (the WebSocket publish stream) that keep thousands of events in
    /// flight per connection: no task waits per write. `completion` usually runs on the store's
    /// answer thread, in commit order; it must return quickly and must not block.
    /// - Parameters:
    ///   - events: the events, in order; each one's `source` is set to the publisher.
    ///   - publisher: the authenticated department.
    ///   - completion: receives one outcome per event, or the error.
    public func publish(
        _ events: [Envelope], from publisher: DepartmentID,
        completion: @escaping @Sendable (Result<[PublishOutcome], ExchangeError>) -> Void
    ) {
        let started = ContinuousClock.now
        let requests: [AppendRequest]
        do {
            requests = try prepare(events, from: publisher)
        } catch {
            Task { completion(.failure(await refuse(error))) }
            return
        }
        store.append(contentsOf: requests) { [self] result in
            switch result {
            case .success(let appended): completion(.success(record(appended, of: requests, started: started)))
            case .failure(let conflict as AppendConflict):
                let refusal = Self.refusal(conflict, of: requests, from: publisher)
                Task { completion(.failure(await refuse(refusal))) }
            case .failure(let error): completion(.failure(Self.mapped(error)))
            }
        }
    }

    /// Checks events against the key bounds, the publisher's topics and the topic schemas, and
    /// routes them: what the store needs to append them. Nothing is written.
    private func prepare(_ events: [Envelope], from publisher: DepartmentID) throws(PublishRefusal) -> [AppendRequest] {
        guard !events.isEmpty else {
            throw PublishRefusal(
                events: [], publisher: publisher, error: ExchangeError(.publishEmpty, "the request holds no event"))
        }
        let set = agreements.current
        let now = Date()
        var requests: [AppendRequest] = []
        requests.reserveCapacity(events.count)
        for var event in events {
            event.source = publisher.rawValue
            if let violation = Self.keyLimitViolation(event) {
                throw PublishRefusal(
                    events: [event], publisher: publisher, error: ExchangeError(.fieldTooLong, violation))
            }
            let collection = set.topic(event.topic)?.collection
            let registryInput = collection.flatMap { RegistryInput(event, collection: $0) }
            if let registryInput, let violation = Self.keyLimitViolation(registryInput) {
                throw PublishRefusal(
                    events: [event], publisher: publisher,
                    error: ExchangeError(.fieldTooLong, "event '\(event.id)': \(violation)"))
            }
            let routing = set.route(event, from: publisher, at: now)
            if let denial = routing.denial {
                throw PublishRefusal(events: [event], publisher: publisher, error: ExchangeError(denial))
            }
            if let violation = Self.schemaViolation(event, routing: routing, set: set) {
                throw PublishRefusal(
                    events: [event], publisher: publisher,
                    error: ExchangeError(.schemaViolation, "event '\(event.id)' breaks the schema of topic '\(event.topic)': \(violation)"))
            }
            requests.append(
                AppendRequest(
                    envelope: event,
                    routes: routing.routes.map {
                        StoredRoute(consumer: $0.consumer.rawValue, agreement: $0.agreementID, agreementVersion: UInt32(clamping: $0.agreementVersion))
                    },
                    registry: collection, registryInput: registryInput))
        }
        return requests
    }

    /// Why an event's attributes would make an LMDB key too long, or `nil`. The HTTP layer
    /// checks the same bounds; this keeps every caller of the engine within them.
    static func keyLimitViolation(_ event: Envelope) -> String? {
        if event.id.utf8.count > InputBounds.maxMessageIDBytes {
            return "the message id is \(event.id.utf8.count) bytes long; at most \(InputBounds.maxMessageIDBytes) are allowed"
        }
        if let subject = event.subject, subject.utf8.count > InputBounds.maxSubjectBytes {
            return "event '\(event.id)': the subject is \(subject.utf8.count) bytes long; at most \(InputBounds.maxSubjectBytes) are allowed"
        }
        if event.type.utf8.count > InputBounds.maxTypeBytes {
            return "event '\(event.id)': the type is \(event.type.utf8.count) bytes long; at most \(InputBounds.maxTypeBytes) are allowed"
        }
        return nil
    }

    /// Why a registry input's indexed values would make an index key too long, or `nil`.
    static func keyLimitViolation(_ input: RegistryInput) -> String? {
        for (name, value) in [("holder", input.holder), ("type", input.type)] {
            if let value, value.utf8.count > InputBounds.maxIndexedValueBytes {
                return "the registry field \(name) is \(value.utf8.count) bytes long; at most \(InputBounds.maxIndexedValueBytes) are allowed"
            }
        }
        return nil
    }

    /// Counts a committed publish in the metrics and returns its outcomes.
    private func record(_ results: [AppendResult], of requests: [AppendRequest], started: ContinuousClock.Instant) -> [PublishOutcome] {
        var outcomes: [PublishOutcome] = []
        outcomes.reserveCapacity(results.count)
        var stored = 0
        var routed = 0
        for (request, result) in zip(requests, results) {
            outcomes.append(
                PublishOutcome(id: request.envelope.id, sequence: result.sequence, isDuplicate: result.isDuplicate, routeCount: result.routeCount))
            if !result.isDuplicate {
                stored += 1
                routed += result.routeCount
            }
        }
        metrics.published.increment(by: stored)
        metrics.duplicates.increment(by: results.count - stored)
        metrics.routes.increment(by: routed)
        let elapsed = (ContinuousClock.now - started).components
        metrics.publishLatency.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        return outcomes
    }

    /// Checks the event's data against its topic's schema, if the topic has one, parsing the
    /// data only if routing did not already.
    static func schemaViolation(_ event: Envelope, routing: RoutingResult, set: AgreementSet) -> String? {
        guard let schema = set.topic(event.topic)?.validator else { return nil }
        let data: JSONValue
        if let parsed = routing.data {
            data = parsed
        } else {
            do throws(JSONParseError) {
                data = try JSONValue.parse(event.data)
            } catch {
                return "data is not JSON (\(error))"
            }
        }
        return schema.validate(data)?.description
    }

    /// The refusal of a publish the store found repeating a message id with other content:
    /// `publish.id_conflict`, naming the original event, for the repeating event of the batch.
    static func refusal(_ conflict: AppendConflict, of requests: [AppendRequest], from publisher: DepartmentID) -> PublishRefusal {
        let event = requests.last { $0.envelope.id == conflict.messageID }?.envelope
        let differ = conflict.differing.joined(separator: ", ")
        guard let originalSequence = conflict.originalSequence else {
            // Both events are in this batch, which is refused whole: no sequence to name.
            let error = ExchangeError(
                .idConflict,
                "message id '\(conflict.messageID)' is used by events \(conflict.originalPosition ?? 0) and \(conflict.position ?? 0) "
                    + "of the batch (counted from 0) with other content (\(differ) differ); no event of the batch was stored. "
                    + "Publish new content under a new message id")
            return PublishRefusal(events: event.map { [$0] } ?? [], publisher: publisher, error: error)
        }
        var error = ExchangeError(
            .idConflict,
            "message id '\(conflict.messageID)' was already published as event \(originalSequence) with other content "
                + "(\(differ) differ); the original is kept and nothing was stored. "
                + "Publish new content under a new message id")
        error.originalSequence = originalSequence
        return PublishRefusal(events: event.map { [$0] } ?? [], publisher: publisher, error: error)
    }

    /// Audits a refused publish (unless it held no event) and returns the error to throw.
    /// Past the publisher's `audit.principal_refusals.burst` in an interval, the refusal is
    /// counted into its summary entry instead (``countedEngineRefusal(actor:action:target:code:detail:)``).
    private func refuse(_ refusal: PublishRefusal) async -> ExchangeError {
        guard let first = refusal.events.first else { return refusal.error }
        metrics.rejected.increment(by: refusal.events.count)
        var error = refusal.error
        error.isAudited = true
        if countedEngineRefusal(
            actor: refusal.publisher.rawValue, action: "PUBLISH", target: first.topic, code: refusal.error.auditedCode,
            detail: refusal.error.message, denial: refusal.error.kind == .forbidden)
        {
            return error
        }
        var fields: [String: AuditValue] = [
            "reason": .string(refusal.error.auditedCode), "detail": .string(AuditEvent.bounded(refusal.error.message)),
            "events": .integer(Int64(clamping: refusal.events.count)), "topic": .string(AuditEvent.bounded(first.topic)),
            "message_id": .string(AuditEvent.bounded(first.id)),
        ]
        if let original = refusal.error.originalSequence {
            fields["original_sequence"] = .integer(Int64(clamping: original))
        }
        await auditRefusal([AuditEvent(kind: .rejected, actor: refusal.publisher.rawValue, fields: fields)])
        return error
    }
}

/// A publish refused before anything was stored: the events concerned and the error.
struct PublishRefusal: Error {
    let events: [Envelope]
    let publisher: DepartmentID
    let error: ExchangeError
}
