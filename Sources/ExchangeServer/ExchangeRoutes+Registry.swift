import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeWire
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension ExchangeRoutes {
    // MARK: Registry

    /// `GET /v1/registry/{collection}/{key}[?history=true[&history_limit=N][&history_cursor=C]]`:
    /// one entry as the caller may see it, with one page of its history when asked.
    @Sendable func registryLookup(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.department, .portal, .auditor)
        let collection = try context.parameters.require("collection")
        // A licence number may hold any character; the client percent-encodes it in the path.
        let encoded = try context.parameters.require("key")
        guard let key = encoded.removingPercentEncoding else {
            throw ProblemError(.badRequest, detail: "the key \"\(AuditEvent.bounded(encoded))\" is not percent-encoded UTF-8")
        }
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let item = try await exchange.registryLookup(
            collection: collection, key: key, parameters: parameters, viewer: principal.dataViewer(in: exchange.agreements.current), actor: principal.actor)
        var writer = JSONWriter(capacity: 512 + (item.data?.count ?? 0) + item.history.count * 64)
        Self.write(item, into: &writer)
        return Self.jsonResponse(writer.bytes)
    }

    /// `GET /v1/registry/{collection}?holder=&type=&status=&issuer=&expires_before=&limit=&cursor=`:
    /// one page of matching entries.
    @Sendable func registrySearch(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.department, .portal, .auditor)
        let collection = try context.parameters.require("collection")
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let page = try await exchange.registrySearch(
            collection: collection, parameters: parameters, viewer: principal.dataViewer(in: exchange.agreements.current), actor: principal.actor)
        var writer = JSONWriter(capacity: 256 + page.items.reduce(0) { $0 + 384 + ($1.data?.count ?? 0) })
        writer.beginObject()
        writer.member("collection", string: collection)
        writer.member("count", integer: page.items.count)
        writer.beginArray(named: "items")
        for item in page.items { Self.write(item, into: &writer) }
        writer.endArray()
        if let next = page.nextCursor { writer.member("next_cursor", string: next) }
        writer.endObject()
        return Self.jsonResponse(writer.bytes)
    }

    static func write(_ item: RegistryItem, into writer: inout JSONWriter) {
        let entry = item.entry
        writer.beginObject()
        writer.member("collection", string: item.collection)
        writer.member("key", string: entry.key)
        writer.member("status", string: item.status.rawValue)
        for (name, value) in [("issuer", entry.issuer), ("holder", entry.holder), ("type", entry.type), ("valid_from", entry.validFrom), ("valid_until", entry.validUntil)] {
            if let value { writer.member(name, string: value) }
        }
        writer.member("first_sequence", unsigned: entry.firstSequence)
        writer.member("last_sequence", unsigned: entry.lastSequence)
        writer.member("history_count", unsigned: entry.historyCount)
        if entry.dataSequence > 0 { writer.member("data_sequence", unsigned: entry.dataSequence) }
        writer.beginArray(named: "flags")
        for flag in entry.flags { writer.element(string: flag.rawValue) }
        writer.endArray()
        if let agreement = item.agreement { writer.member("agreement", string: agreement) }
        writer.member("projected", bool: item.isProjected)
        if let data = item.data {
            // Projected data is serialized JSON; original bytes are checked.
            if item.isProjected || (try? JSONValue.parse(data)) != nil {
                writer.member("data", raw: data)
            } else {
                writer.member("data_base64", string: Data(data).base64EncodedString())
            }
        }
        if item.includesHistory {
            writer.beginArray(named: "history")
            for event in item.history {
                writer.beginObject()
                writer.member("sequence", unsigned: event.sequence)
                writer.member("action", string: event.action.rawValue)
                if let flag = event.flag { writer.member("flag", string: flag.rawValue) }
                if item.removedHistory.contains(event.sequence) { writer.member("removed", bool: true) }
                writer.endObject()
            }
            writer.endArray()
            if let next = item.historyNextCursor { writer.member("history_next_cursor", string: String(next)) }
        }
        writer.endObject()
    }

    static func jsonResponse(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .contentLength: String(bytes.count)],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
