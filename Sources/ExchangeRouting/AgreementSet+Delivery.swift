public import ExchangeModel
public import Foundation

extension AgreementSet {
    /// Checks a queued route again against this (current) agreement set and projects the data.
    ///
    /// The event is withheld when the agreement is unknown, suspended, revoked, outside its
    /// window, no longer lists the consumer, no longer covers the topic or provider, or the event
    /// no longer meets its content pattern. Otherwise the data is projected to the agreement's
    /// current fields (original bytes when it shares all fields).
    ///
    /// - Parameters:
    ///   - route: the route recorded at publish time.
    ///   - envelope: the queued event.
    ///   - now: the delivery instant.
    /// - Returns: deliver with the visible data, or withhold with the reason.
    public func recheck(_ route: Route, envelope: Envelope, at now: Date) -> DeliveryDecision {
        var data = ParsedData.unparsed
        return recheck(route, envelope: envelope, at: now, data: &data)
    }

    /// Checks several queued routes of the same event; the data is parsed at most once.
    /// - Parameters:
    ///   - routes: the routes recorded for the event.
    ///   - envelope: the queued event.
    ///   - now: the delivery instant.
    /// - Returns: one decision per route, in order.
    public func recheck(_ routes: [Route], envelope: Envelope, at now: Date) -> [DeliveryDecision] {
        var data = ParsedData.unparsed
        return routes.map { recheck($0, envelope: envelope, at: now, data: &data) }
    }

    enum ParsedData {
        case unparsed
        case parsed(JSONValue)
        case invalid

        mutating func value(of envelope: Envelope) -> JSONValue? {
            switch self {
            case .parsed(let value): return value
            case .invalid: return nil
            case .unparsed:
                if let value = try? JSONValue.parse(envelope.data) {
                    self = .parsed(value)
                    return value
                }
                self = .invalid
                return nil
            }
        }
    }

    func recheck(_ route: Route, envelope: Envelope, at now: Date, data: inout ParsedData) -> DeliveryDecision {
        let compiled: CompiledAgreement
        switch routeCheck(route, source: envelope.source, topic: envelope.topic, at: now) {
        case .failure(let reason): return .withhold(reason)
        case .success(let found): compiled = found
        }
        let agreement = compiled.agreement
        if let pattern = agreement.match {
            let value = pattern.inspectsData ? data.value(of: envelope) : nil
            guard pattern.matches(envelope, data: value) else {
                return .withhold(WithholdReason(.noLongerMatches, "the event no longer meets the content pattern of agreement '\(agreement.id)' v\(agreement.version)"))
            }
        }
        let current = Route(consumer: route.consumer, agreementID: agreement.id, agreementVersion: agreement.version)
        guard let projection = compiled.projection, !projection.keepsEverything else {
            return .deliver(Delivery(route: current, data: envelope.data, isProjected: false))
        }
        guard let value = data.value(of: envelope) else {
            return .withhold(WithholdReason(.dataNotJSON, "agreement '\(agreement.id)' v\(agreement.version) limits fields, but the event's data is not JSON"))
        }
        return .deliver(Delivery(route: current, data: projection.apply(to: value).serialized(), isProjected: true))
    }

    /// Checks a queued route again as ``recheck(_:envelope:at:)`` does, as far as that can go
    /// without the event's other attributes and data: for streaming a department's events
    /// straight from their stored records.
    /// - Returns: the route in force when the event goes out whole (the agreement has no content
    ///   pattern and shares all fields); `nil` when the whole event is needed to decide (use
    ///   ``recheck(_:envelope:at:)``); or the reason to withhold it.
    public func recheckWithoutData(_ route: Route, source: String, topic: String, at now: Date) -> Result<Route?, WithholdReason> {
        switch routeCheck(route, source: source, topic: topic, at: now) {
        case .failure(let reason):
            return .failure(reason)
        case .success(let compiled):
            let agreement = compiled.agreement
            if agreement.match != nil { return .success(nil) }
            if let projection = compiled.projection, !projection.keepsEverything { return .success(nil) }
            return .success(Route(consumer: route.consumer, agreementID: agreement.id, agreementVersion: agreement.version))
        }
    }

    /// The checks of a queued route that need only its publisher and topic: the agreement is in
    /// force, still lists the consumer and still covers the topic from that provider.
    private func routeCheck(_ route: Route, source: String, topic: String, at now: Date) -> Result<CompiledAgreement, WithholdReason> {
        guard let compiled = core.agreementsByID[route.agreementID] else {
            return .failure(WithholdReason(.unknownAgreement, "agreement '\(route.agreementID)' is no longer in force: it is not in the agreement set"))
        }
        let agreement = compiled.agreement
        switch agreement.status {
        case .active: break
        case .suspended:
            return .failure(WithholdReason(.suspended, "agreement '\(agreement.id)' v\(agreement.version) is suspended"))
        case .revoked:
            return .failure(WithholdReason(.revoked, "agreement '\(agreement.id)' v\(agreement.version) is revoked"))
        }
        if now < agreement.validFrom {
            return .failure(WithholdReason(.notYetValid, "agreement '\(agreement.id)' v\(agreement.version) is not valid before \(agreement.validFrom)"))
        }
        if let validUntil = agreement.validUntil, now >= validUntil {
            return .failure(WithholdReason(.expired, "agreement '\(agreement.id)' v\(agreement.version) expired at \(validUntil)"))
        }
        guard agreement.consumers.contains(route.consumer) else {
            return .failure(WithholdReason(.consumerRemoved, "'\(route.consumer)' is no longer a consumer of agreement '\(agreement.id)' v\(agreement.version)"))
        }
        guard agreement.provider.rawValue == source,
            core.tables[topic]?.definition.owner == agreement.provider,
            agreement.topics.contains(where: { $0.matches(name: topic) })
        else {
            return .failure(WithholdReason(.topicNotCovered, "agreement '\(agreement.id)' v\(agreement.version) no longer covers topic '\(topic)' from '\(source)'"))
        }
        return .success(compiled)
    }
}
