public import ExchangeModel
public import Foundation

extension AgreementSet {
    /// Computes who receives a published event.
    ///
    /// The publish is denied when the envelope's `source` is not the publisher, the topic is not
    /// declared, or the publisher does not own it. Otherwise every active agreement of the topic
    /// is tried in overlap order (more specific topic pattern first, then agreements with a content pattern, then lower id): its window must contain `now` and its
    /// content pattern must match. Each consumer is routed once, under the first agreement that
    /// reaches it. The event's data is parsed at most once, and only when a candidate's pattern
    /// looks inside it.
    ///
    /// ```swift
    /// let result = agreements.route(event, from: publisher, at: Date())
    /// for route in result.routes { /* inbox entry: route.consumer, route.agreementID */ }
    /// ```
    /// - Parameters:
    ///   - envelope: the event; `source` must be the publisher's id.
    ///   - publisher: the authenticated publishing department.
    ///   - now: the routing instant.
    /// - Returns: the routes, or the reason the publish is denied.
    public func route(_ envelope: Envelope, from publisher: DepartmentID, at now: Date) -> RoutingResult {
        guard envelope.source == publisher.rawValue else {
            return RoutingResult(denial: AccessDenial(.sourceMismatch, "event source '\(envelope.source)' is not the authenticated publisher '\(publisher)'"))
        }
        guard let table = core.tables[envelope.topic] else {
            return RoutingResult(denial: AccessDenial(.unknownTopic, "topic '\(envelope.topic)' is not declared"))
        }
        guard table.definition.owner == publisher else {
            return RoutingResult(denial: AccessDenial(.notTopicOwner, "department '\(publisher)' does not own topic '\(envelope.topic)'; its owner is '\(table.definition.owner)'"))
        }
        let candidates = table.candidates
        if candidates.isEmpty { return RoutingResult() }
        let instant = now.timeIntervalSince1970
        var result = RoutingResult()
        var parsed = false
        let words = (core.departments.count + 63) / 64
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: max(words, 1)) { seen in
            seen.initialize(repeating: 0)
            for candidate in candidates {
                guard candidate.validFrom <= instant, instant < candidate.validUntil else { continue }
                if let pattern = candidate.agreement.match {
                    if pattern.inspectsData, !parsed {
                        parsed = true
                        do throws(JSONParseError) {
                            result.data = try JSONValue.parse(envelope.data)
                        } catch {
                            result.dataError = error
                        }
                    }
                    guard pattern.matches(envelope, data: result.data) else { continue }
                }
                for index in candidate.consumerIndices {
                    let word = index >> 6
                    let bit = UInt64(1) << UInt64(index & 63)
                    guard seen[word] & bit == 0 else { continue }
                    seen[word] |= bit
                    result.routes.append(Route(
                        consumer: core.departments[index].id, agreementID: candidate.agreement.id,
                        agreementVersion: candidate.agreement.version))
                }
            }
        }
        return result
    }

    /// The active agreements that could carry events on `topic`, in overlap order (the first
    /// reaching a consumer wins). Useful to explain routing decisions.
    /// - Parameter topic: a topic name.
    public func candidates(for topic: String) -> [Agreement] {
        core.tables[topic]?.candidates.map(\.agreement) ?? []
    }
}
