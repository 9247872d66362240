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
        guard let compiled = core.agreementsByID[route.agreementID] else {
            return .withhold(WithholdReason(.unknownAgreement, "agreement '\(route.agreementID)' is no longer in force: it is not in the agreement set"))
        }
        let agreement = compiled.agreement
        switch agreement.status {
        case .active: break
        case .suspended:
            return .withhold(WithholdReason(.suspended, "agreement '\(agreement.id)' v\(agreement.version) is suspended"))
        case .revoked:
            return .withhold(WithholdReason(.revoked, "agreement '\(agreement.id)' v\(agreement.version) is revoked"))
        }
        if now < agreement.validFrom {
            return .withhold(WithholdReason(.notYetValid, "agreement '\(agreement.id)' v\(agreement.version) is not valid before \(agreement.validFrom)"))
        }
        if let validUntil = agreement.validUntil, now >= validUntil {
            return .withhold(WithholdReason(.expired, "agreement '\(agreement.id)' v\(agreement.version) expired at \(validUntil)"))
        }
        guard agreement.consumers.contains(route.consumer) else {
            return .withhold(WithholdReason(.consumerRemoved, "'\(route.consumer)' is no longer a consumer of agreement '\(agreement.id)' v\(agreement.version)"))
        }
        guard agreement.provider.rawValue == envelope.source,
            core.tables[envelope.topic]?.definition.owner == agreement.provider,
            agreement.topics.contains(where: { $0.matches(name: envelope.topic) })
        else {
            return .withhold(WithholdReason(.topicNotCovered, "agreement '\(agreement.id)' v\(agreement.version) no longer covers topic '\(envelope.topic)' from '\(envelope.source)'"))
        }
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
}
