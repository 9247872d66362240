public import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Logging

extension Exchange {
    /// The current state of one registry entry as `viewer` may see it. The lookup is audited
    /// (`queried`: who, collection, key, results, outcome `ok`) before it is answered; a refusal
    /// is thrown unaudited, for the caller's refusal path (see `audited`).
    ///
    /// A department (or the portal's department) sees an entry only when an agreement in force
    /// would deliver the event holding its current data to it, with the data projected to that
    /// agreement's fields; entries that were never issued have no data and are not visible to
    /// departments.
    ///
    /// The history, when asked for, is one page of at most `history.limit` items (1,000 at most)
    /// after `history.after`, read from the history's own keys, so a key with a long history
    /// costs no more to look up; ``RegistryItem/historyNextCursor`` says where the next page starts.
    /// - Parameters:
    ///   - collection: the collection.
    ///   - key: the entry's key (the licence number).
    ///   - history: whether and which part of the history to include.
    ///   - viewer: whose view.
    ///   - actor: who asked, for the audit entry.
    /// - Throws: `ExchangeError`: `registry.unknown_collection`, `registry.not_entitled` (no
    ///   agreement gives the viewer any topic feeding the collection), `registry.not_found`.
    public func registryLookup(
        collection: String, key: String, history: RegistryHistoryQuery, viewer: DataViewer, actor: String
    ) async throws(ExchangeError) -> RegistryItem {
        try await audited(actor: actor, fields: ["collection": .string(AuditEvent.bounded(collection)), "key": .string(AuditEvent.bounded(key))]) { () throws(ExchangeError) in
            let context = try registryContext(collection, viewer: viewer)
            let record: RegistryRecord?
            do {
                let range = history.included ? RegistryHistoryRange(after: history.after, limit: history.limit) : nil
                record = try store.registryEntry(collection: collection, key: key, history: range)
            } catch {
                throw Self.mapped(error)
            }
            guard let record, let item = context.view(record, history: history.included) else {
                throw ExchangeError(.registryEntryNotFound, "'\(collection)' holds no entry '\(key)' you may see")
            }
            return (item, 1)
        }
    }

    /// ``registryLookup(collection:key:history:viewer:actor:)`` with the first page of the
    /// history (``RegistryHistoryQuery/defaultLimit`` items) when `history` is true.
    public func registryLookup(
        collection: String, key: String, history: Bool = false, viewer: DataViewer, actor: String
    ) async throws(ExchangeError) -> RegistryItem {
        try await registryLookup(collection: collection, key: key, history: RegistryHistoryQuery(included: history), viewer: viewer, actor: actor)
    }

    /// One page of the entries of `collection` that match `query` and that `viewer` may see,
    /// audited like ``registryLookup(collection:key:history:viewer:actor:)``.
    ///
    /// The walk follows one index (the most selective filter) and continues after the
    /// position of `query.cursor`; positions are index keys, so pages stay stable while events
    /// arrive: an entry whose indexed value does not change is returned once. A page visits at
    /// most 10,000 index positions, so it may hold fewer than `limit` entries and still have a
    /// next cursor.
    /// - Parameters:
    ///   - collection: the collection.
    ///   - query: filters, page size, cursor.
    ///   - viewer: whose view.
    ///   - actor: who asked.
    /// - Throws: `ExchangeError`: `registry.unknown_collection`, `registry.not_entitled`,
    ///   `registry.bad_cursor`.
    public func registrySearch(
        collection: String, query: RegistryQuery, viewer: DataViewer, actor: String
    ) async throws(ExchangeError) -> RegistryPage {
        try await audited(actor: actor, fields: ["collection": .string(AuditEvent.bounded(collection)), "query": query.auditValue]) { () throws(ExchangeError) in
            let context = try registryContext(collection, viewer: viewer)
            var scan = query.scan(collection: collection)
            if let cursor = query.cursor {
                scan.after = try RegistryQuery.decodeCursor(cursor, index: scan.index, sealer: cursorSealer)
            }
            var items: [RegistryItem] = []
            let result: RegistryScanResult
            do {
                result = try store.registryScan(scan) { record in
                    if let item = context.view(record, history: false), context.matches(item, query) {
                        items.append(item)
                    }
                    return items.count < query.limit
                }
            } catch let error as StoreError where error.code == .invalidRequest {
                throw ExchangeError(.badRegistryCursor, "the cursor is not one this query returned")
            } catch {
                throw Self.mapped(error)
            }
            let next = try result.exhausted ? nil : result.position.map { position throws(ExchangeError) in
                try RegistryQuery.encodeCursor(position, index: scan.index, sealer: cursorSealer)
            }
            return (RegistryPage(items: items, nextCursor: next), items.count)
        }
    }

    /// ``registryLookup(collection:key:history:viewer:actor:)`` with the request's query
    /// parameters (`history=true|false`, `history_limit`, `history_cursor`: see
    /// ``RegistryHistoryQuery/init(parameters:)``), a bad one refused with `registry.bad_query`
    /// and thrown unaudited.
    public func registryLookup(
        collection: String, key: String, parameters: [(name: String, value: String)], viewer: DataViewer, actor: String
    ) async throws(ExchangeError) -> RegistryItem {
        // A bad parameter is refused unaudited, as every refused query (see `audited`).
        let history = try RegistryHistoryQuery(parameters: parameters)
        return try await registryLookup(collection: collection, key: key, history: history, viewer: viewer, actor: actor)
    }

    /// ``registrySearch(collection:query:viewer:actor:)`` with the request's query parameters
    /// (see ``RegistryQuery/init(parameters:)``), a bad one refused and thrown unaudited.
    public func registrySearch(
        collection: String, parameters: [(name: String, value: String)], viewer: DataViewer, actor: String
    ) async throws(ExchangeError) -> RegistryPage {
        // A bad parameter is refused unaudited, as every refused query (see `audited`).
        let query = try RegistryQuery(parameters: parameters)
        return try await registrySearch(collection: collection, query: query, viewer: viewer, actor: actor)
    }

    /// Runs a query and writes its `queried` audit entry with `results` before returning. A
    /// query past the actor's read budget is refused before it runs (`reads.rate_limited`,
    /// ``admitRead(actor:)``). A refused query (`registry.not_found`, `registry.not_entitled`, `registry.unknown_collection`,
    /// `registry.bad_cursor`, `registry.bad_query`) is thrown unaudited: the caller's refusal path
    /// audits it as every other refused request (`audit.principal_refusals`: one entry each up to
    /// the burst, then one summary per interval), so that nobody grows the log at its request
    /// rate by asking for what it may not see or what does not exist. An answer whose audit entry
    /// cannot be written is not given.
    private func audited<Answer>(
        actor: String, fields: [String: AuditValue], _ body: () async throws(ExchangeError) -> (Answer, Int)
    ) async throws(ExchangeError) -> Answer {
        var fields = fields
        try admitRead(actor: actor)
        let answer = try await body()
        fields["results"] = .integer(Int64(clamping: answer.1))
        fields["outcome"] = "ok"
        try await auditQuery(actor: actor, fields: fields)
        return answer.0
    }

    private func auditQuery(actor: String, fields: [String: AuditValue]) async throws(ExchangeError) {
        try await audit([AuditEvent(kind: .queried, actor: actor, fields: fields)], priority: .reads)
    }

    /// Checks the collection and the viewer's entitlement, and captures what viewing needs.
    private func registryContext(_ collection: String, viewer: DataViewer) throws(ExchangeError) -> RegistryViewContext {
        let set = agreements.current
        guard let declaration = set.registryCollection(named: collection) else {
            throw ExchangeError(.unknownCollection, "no topic feeds a registry collection '\(collection)'")
        }
        let now = Date()
        if case .nobody = viewer {
            throw ExchangeError(.notEntitled, "a portal token acts for the department it is named after, which must have the portal role in departments.yaml")
        }
        if case .department(let department) = viewer, set.viewableTopics(of: collection, for: department, at: now).isEmpty {
            throw ExchangeError(.notEntitled, "no agreement in force gives '\(department)' a topic feeding '\(collection)'")
        }
        return RegistryViewContext(collection: declaration, viewer: viewer, set: set, now: now, today: declaration.day(of: now))
    }
}

/// What viewing registry entries for one query needs: the agreements, the instant, the day.
struct RegistryViewContext {
    let collection: RegistryCollection
    let viewer: DataViewer
    let set: AgreementSet
    let now: Date
    let today: String

    /// The entry as the viewer may see it, or `nil` when it may not.
    func view(_ record: RegistryRecord, history: Bool) -> RegistryItem? {
        var item = RegistryItem(
            collection: collection.name, entry: record.entry, status: record.entry.status(onDay: today), data: record.dataEvent?.envelope.data,
            agreement: nil, isProjected: false, includesHistory: history)
        if history {
            item.history = record.history
            item.removedHistory = record.removedHistory
            item.historyNextCursor = record.historyContinues ? record.history.last?.sequence : nil
        }
        let department: DepartmentID
        switch viewer {
        case .everything: return item
        case .nobody: return nil
        case .department(let id): department = id
        }
        guard let event = record.dataEvent, let delivery = set.registryView(of: event.envelope, for: department, at: now) else { return nil }
        item.data = delivery.data
        item.agreement = delivery.route.agreementID
        item.isProjected = delivery.isProjected
        if delivery.isProjected, let projection = set.fieldProjection(of: delivery.route.agreementID) {
            // The indexed fields are shown only where the projection keeps them.
            func kept(_ pointer: JSONPointer?) -> Bool { pointer.map(projection.keeps) ?? false }
            if !kept(collection.holder) { item.entry.holder = nil }
            if !kept(collection.type) { item.entry.type = nil }
            if !kept(collection.validFrom) { item.entry.validFrom = nil }
            if !kept(collection.validUntil) { item.entry.validUntil = nil }
        }
        return item
    }

    /// Whether a visible item meets every filter of `query` (on what the viewer may see).
    func matches(_ item: RegistryItem, _ query: RegistryQuery) -> Bool {
        let entry = item.entry
        if let holder = query.holder, entry.holder != holder { return false }
        if let type = query.type, entry.type != type { return false }
        if let issuer = query.issuer, entry.issuer != issuer { return false }
        if let status = query.status, item.status != status { return false }
        if let expiresBefore = query.expiresBefore {
            guard let validUntil = entry.validUntil, validUntil < expiresBefore else { return false }
        }
        return true
    }
}
