public import ExchangeModel
public import ExchangeStore
import CoreMetrics
public import Foundation
import ExchangeRouting
import Logging

extension Exchange {
    /// The retention rules of the topics in force: those whose policy (their own `retention` or
    /// `topics.yaml`'s `default_retention`) removes events.
    public var retentionRules: [RetentionRule] {
        agreements.current.topics.compactMap { topic in
            guard let policy = topic.retention, policy.removesEvents else { return nil }
            return RetentionRule(topic: topic.name.rawValue, policy: policy, registry: topic.collection, archive: topic.archive)
        }
    }

    /// Removes up to `budget` expired events (one store step; see
    /// ``ExchangeStore/expire(_:now:budget:)``) and counts them in
    /// `exchange_retention_removed_total`. With `flushing`, expired events that wait for the
    /// index tail or the deduplication memory are moved on (see ``ExchangeStore/expire(_:now:budget:flushing:)``).
    /// The expired events of a topic with `archive: true` are first written by `archiver` (see
    /// ``archiving(_:archiver:now:budget:)``); without one they stay.
    @discardableResult
    public func expire(budget: Int, flushing: Bool = false, now: Date = Date(), archiver: (any EventArchiver)? = nil) async throws -> RetentionReport {
        var rules = retentionRules
        guard !rules.isEmpty else { return RetentionReport() }
        let nanoseconds = UInt64(max(0, now.timeIntervalSince1970) * 1_000_000_000)
        var archiveMore = false
        if rules.contains(where: \.archive) {
            // Off the concurrency pool: a segment is synced to disk before the events go.
            let current = rules
            (rules, archiveMore) = try await BlockingWork.run { try self.archiving(current, archiver: archiver, now: nanoseconds, budget: budget) }
        }
        var report = try await store.expire(rules, now: nanoseconds, budget: budget, flushing: flushing)
        report.more = report.more || (archiveMore && report.removed > 0)
        if report.removed > 0 {
            metrics.retentionRemoved.increment(by: report.removed)
        }
        if !report.unreadable.isEmpty {
            metrics.retentionUnreadable.increment(by: report.unreadable.count)
            logger.error(
                "retention left events whose record cannot be read; the store may be damaged (exchangectl audit verify, then restore from backup)",
                metadata: ["sequences": "\(report.unreadable.prefix(20).map(String.init).joined(separator: ","))", "count": "\(report.unreadable.count)"])
        }
        return report
    }

    /// The events retention removed that a replay of `topic` (all topics when `nil`) from
    /// `sequence` would have covered, for `scope`: the range from `sequence` to the last removed
    /// sequence of a matching topic, or `nil` when none was removed there. A department learns
    /// only of topics some agreement in force lets it receive.
    public func expiredGap(topic: TopicPattern?, from sequence: UInt64, scope: ReplayScope) throws -> ClosedRange<UInt64>? {
        var visible: Set<String>?
        if case .department(let department) = scope {
            visible = Set(agreements.current.receivableTopics(for: department, at: Date()).map(\.rawValue))
        }
        let through = try store.expiredThrough()
            .filter { name, last in
                last >= sequence && (topic?.matches(name: name) ?? true) && (visible?.contains(name) ?? true)
            }
            .values.max()
        return through.map { sequence...$0 }
    }

    /// The range that removed event `sequence`, when retention removed it: its topic is read
    /// from its `published` audit entry by the caller.
    public func expiredRange(topic: String, containing sequence: UInt64) throws -> ExpiredRange? {
        try store.expiredRange(topic: topic, containing: sequence)
    }
}
