import ExchangeEngine
import ExchangeModel
import ExchangeStore
import ExchangeWire
import HTTPTypes
import Hummingbird
import NIOCore

extension AuditRoutes {
    /// `GET /v1/audit/replay`: the exchanged events themselves, whole, with what the audit log
    /// says about them, as NDJSON in log order.
    ///
    /// The audit log is read up to its size when the request began (header
    /// `exchange-audit-size`), a page at a time. A `published` entry that passes the filter
    /// (`agreement`: one of its routes; `department`: the publisher or a route's consumer;
    /// `subject`: the event's subject; `from`/`until`: its time) is answered as
    /// `{"index":I,"type":"event","audit":<entry>,"event":<CloudEvent with sequence, topic, receivedat>}`;
    /// later `acknowledged` (receipts), `withheld` and `dead_lettered` entries of those events as
    /// `{"index":I,"type":"<kind>","audit":<entry>}`. An event retention removed is answered as
    /// `{"index":I,"type":"expired","audit":<entry>,"removed_after":T1,"removed_by":T2}`: its
    /// entry (with `data_digest`) and the times between which its data was removed. Memory holds one page and a bit per event
    /// answered (``SequenceBitSet``: about half a byte per event).
    @Sendable func replay(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let stream = try await authorizeBulkRead(request, context)
        var filter = try Self.filter(request, releasing: stream)
        guard filter.topic == nil, filter.kind == nil else {
            stream.permit.release()
            throw ProblemError(.badRequest, detail: "replay filters by agreement, department, subject, from, until and start only")
        }
        filter.kind = AuditEvent.Kind.published.rawValue
        let exchange = self.exchange
        // The whole log, not the filter index: the receipts that follow an event name neither its
        // subject nor its agreement.
        return Self.ndjsonPages(exchange: exchange, from: filter.start, stream: stream) { [filter] in
            var answered = SequenceBitSet()
            return { record, chunk in
                // Each entry is parsed once, here; the filter reads the parsed value.
                guard let entry = try? JSONValue.parse(record.entry), let kind = entry["kind"]?.stringValue else { return }
                let sequence = entry["sequence"].flatMap { value -> UInt64? in
                    if case .number(let number) = value { return UInt64(number.text) }
                    return nil
                }
                if kind == AuditEvent.Kind.published.rawValue {
                    guard let sequence, filter.matches(entry) else { return }
                    guard let stored = try exchange.storedEvent(sequence) else {
                        // Removed by retention: the entry, its digest, and when the data went;
                        // its receipts follow as for any event.
                        answered.insert(sequence)
                        let range = try entry["topic"]?.stringValue.flatMap { try exchange.expiredRange(topic: $0, containing: sequence) }
                        Self.line(index: record.index, type: "expired", entry: record.entry, into: &chunk) { output in
                            guard let range else { return }
                            output.append(contentsOf: #","removed_after":""#.utf8)
                            output.append(contentsOf: RFC3339.format(nanoseconds: range.firstRemovedAt).utf8)
                            output.append(contentsOf: #"","removed_by":""#.utf8)
                            output.append(contentsOf: RFC3339.format(nanoseconds: range.lastRemovedAt).utf8)
                            output.append(0x22)
                        }
                        return
                    }
                    answered.insert(sequence)
                    Self.line(index: record.index, type: "event", entry: record.entry, into: &chunk) { output in
                        output.append(contentsOf: #","event":"#.utf8)
                        CloudEvents.encode(
                            stored.envelope,
                            delivery: DeliveryAttributes(
                                sequence: sequence, topic: stored.envelope.topic, receivedAt: RFC3339.format(nanoseconds: stored.receivedAt)),
                            into: &output)
                    }
                } else if Self.followUps.contains(kind), let sequence, answered.contains(sequence) {
                    Self.line(index: record.index, type: kind, entry: record.entry, into: &chunk) { _ in }
                }
            }
        }
    }

    /// The kinds answered after an event they name by `sequence`.
    static let followUps: Set<String> = [
        AuditEvent.Kind.acknowledged.rawValue, AuditEvent.Kind.withheld.rawValue, AuditEvent.Kind.deadLettered.rawValue,
    ]

    /// Writes `{"index":I,"type":"T","audit":<entry>` + what `rest` adds + `}\n`.
    static func line(index: UInt64, type: String, entry: [UInt8], into output: inout [UInt8], _ rest: (inout [UInt8]) -> Void) {
        output.append(contentsOf: #"{"index":"#.utf8)
        output.append(contentsOf: String(index).utf8)
        output.append(contentsOf: #","type":""#.utf8)
        output.append(contentsOf: type.utf8)
        output.append(contentsOf: #"","audit":"#.utf8)
        output.append(contentsOf: entry)
        rest(&output)
        output.append(contentsOf: "}\n".utf8)
    }
}
