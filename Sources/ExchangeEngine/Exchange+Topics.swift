public import ExchangeModel
import ExchangeRouting
import ExchangeStore

extension Exchange {
    /// Why `pattern` names nothing: it matches no topic declared now and no topic the store
    /// holds events of; with the nearest declared pattern when one is close ("did you mean
    /// licence.business.>?"). `nil` when it matches a topic.
    ///
    /// Subscriptions and replays check this first, so that a typo in a topic is answered as one
    /// (`access.unknown_topic`) instead of as a missing agreement or an empty replay.
    public func unknownTopicMessage(_ pattern: TopicPattern) -> String? {
        let declared = agreements.current.topics.map(\.name)
        if declared.contains(where: pattern.matches) { return nil }
        if store.topicNames().contains(where: { pattern.matches(name: $0) }) { return nil }
        var message = "no declared topic matches '\(AuditEvent.bounded(pattern.rawValue))'"
        if pattern.rawValue.utf8.count <= 128, let nearest = pattern.nearest(among: declared) {
            message += "; did you mean '\(nearest)'?"
        }
        return message
    }
}
