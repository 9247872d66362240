public import ExchangeModel
public import Foundation

extension AgreementSet {
    /// The registry collection each feeding topic feeds, by topic name.
    public var registryFeeds: [String: RegistryCollection] {
        var feeds: [String: RegistryCollection] = [:]
        for topic in core.topics {
            if let collection = topic.collection { feeds[topic.name.rawValue] = collection }
        }
        return feeds
    }

    /// The declared collection named `name`, if some topic feeds it.
    public func registryCollection(named name: String) -> RegistryCollection? {
        core.topics.lazy.compactMap(\.collection).first { $0.name == name }
    }

    /// The topics that feed `collection`, ordered by name.
    public func feedingTopics(of collection: String) -> [Topic] {
        core.topics.filter { $0.collection?.name == collection }.map(\.name)
    }

    /// The topics feeding `collection` that some agreement in force at `now` lets `consumer`
    /// receive; empty when the consumer may see nothing of the collection.
    public func viewableTopics(of collection: String, for consumer: DepartmentID, at now: Date) -> Set<String> {
        let feeding = Set(feedingTopics(of: collection).map(\.rawValue))
        return Set(receivableTopics(for: consumer, at: now).map(\.rawValue).filter(feeding.contains))
    }

    /// What `consumer` may see of a registry entry's current data, the event `envelope`: exactly
    /// what a delivery of that event to it would carry now. The event is routed as if published
    /// now (agreements in force, windows, content patterns, overlap rule) and the winning
    /// agreement's route is re-checked and projected as on delivery.
    /// - Parameters:
    ///   - envelope: the event whose data is the entry's current data.
    ///   - consumer: the department (or the portal's department) asking.
    ///   - now: the instant of the query.
    /// - Returns: the visible data under the agreement, or `nil` when no agreement in force
    ///   gives the event to `consumer`.
    public func registryView(of envelope: Envelope, for consumer: DepartmentID, at now: Date) -> Delivery? {
        guard let publisher = DepartmentID(envelope.source) else { return nil }
        let routing = route(envelope, from: publisher, at: now)
        guard let route = routing.routes.first(where: { $0.consumer == consumer }) else { return nil }
        return recheck(route, envelope: envelope, at: now).delivery
    }

    /// The field projection of agreement `id` as in force in this set; `nil` when it shares all
    /// fields or is unknown.
    public func fieldProjection(of id: String) -> FieldProjection? {
        core.agreementsByID[id]?.projection
    }
}
