public import ExchangeModel
import ExchangeRouting
public import Foundation
import Logging
import Synchronization

/// What noticed a change of an agreement's standing.
public enum StandingCheck: String, Sendable {
    /// The daemon's start: the first check, which knows no earlier standing.
    case start
    /// A load of the configuration (SIGHUP or `POST /v1/admin/reload`).
    case reload
    /// The daemon's timer, as time passed a `valid_from` or `valid_until`.
    case timer
}

extension Exchange {
    /// Compares every agreement's standing at `now` with the last check's and makes each change
    /// visible: an `agreement_standing` audit entry, a notice-level log line, and the metrics
    /// `exchange_agreements{status}` and `exchange_agreement_days_to_expiry{agreement}`. An
    /// agreement in force whose `valid_until` is within the warning period is reported once per
    /// version and end (`agreement_expiring`, a warning-level log line).
    ///
    /// The first check (at start) knows no earlier standing: it writes an entry for each
    /// agreement that is pending or lapsed, so that a lapse while the daemon was stopped is
    /// still recorded. Checks do not report a change twice.
    /// - Parameters:
    ///   - now: the instant of the check.
    ///   - checked: what caused it.
    /// - Returns: the audit events written.
    @discardableResult
    public func checkAgreementStandings(at now: Date = Date(), checked: StandingCheck) async -> [AuditEvent] {
        let agreements = self.agreements.current.agreements
        let watch = agreementWatch
        let warningDays = watch.configuration.expiryWarningDays
        var events: [AuditEvent] = []
        watch.state.withLock { state in
            var known: [String: AgreementWatch.Known] = [:]
            for agreement in agreements {
                let standing = agreement.standing(at: now)
                known[agreement.id] = AgreementWatch.Known(version: agreement.version, standing: standing)
                let before = state.known[agreement.id]?.standing
                let report: Bool
                if state.checked {
                    // A new agreement reports only when it is not in force; an agreement whose
                    // standing changed reports the change.
                    report = before.map { $0 != standing } ?? (standing == .pending || standing == .lapsed)
                } else {
                    report = standing == .pending || standing == .lapsed
                }
                if report {
                    events.append(Self.standingEvent(agreement, standing: standing, previous: before, checked: checked))
                }
                if standing == .inForce, warningDays > 0, let until = agreement.validUntil,
                    until.timeIntervalSince(now) <= Double(warningDays) * 86_400,
                    state.warned.insert("\(agreement.id) v\(agreement.version) \(until.timeIntervalSince1970)").inserted
                {
                    var fields = Self.windowFields(agreement)
                    fields["days_left"] = .integer(Int64(max(0, until.timeIntervalSince(now) / 86_400).rounded(.down)))
                    fields["warning_days"] = .integer(Int64(warningDays))
                    events.append(AuditEvent(kind: .agreementExpiring, actor: "exchange", fields: fields))
                }
            }
            state.known = known
            state.checked = true
        }
        watch.record(agreements, at: now)
        for event in events {
            if event.kind == .agreementExpiring {
                logger.warning("agreement expires soon", metadata: Self.logMetadata(event))
            } else {
                logger.notice("agreement \(Self.verb(event.fields["standing"]))", metadata: Self.logMetadata(event))
            }
        }
        if !events.isEmpty {
            await auditLoggingFailure(events, purpose: "an agreement's standing")
        }
        return events
    }

    /// The next instant at which some agreement's standing or warning falls due after `now`:
    /// a `valid_from` or `valid_until` ahead, or the start of a warning period ahead.
    public func nextAgreementCheck(after now: Date) -> Date? {
        let warning = Double(agreementWatch.configuration.expiryWarningDays) * 86_400
        var next: Date?
        for agreement in agreements.current.agreements {
            var candidates: [Date] = []
            if let boundary = agreement.nextBoundary(after: now) { candidates.append(boundary) }
            if warning > 0, let until = agreement.validUntil {
                let start = until.addingTimeInterval(-warning)
                if start > now { candidates.append(start) }
            }
            for candidate in candidates where next.map({ candidate < $0 }) ?? true { next = candidate }
        }
        return next
    }

    /// The daemon's timer: checks at every boundary due and at least every
    /// `agreements.check_interval`, until the task is cancelled.
    public func watchAgreementStandings() async {
        let interval = agreementWatch.configuration.checkInterval
        while !Task.isCancelled {
            let now = Date()
            var wait = interval
            if let next = nextAgreementCheck(after: now) {
                // A little past the boundary, so that the check sees it passed.
                let untilNext = Duration.milliseconds(Int64(min(next.timeIntervalSince(now) * 1000, 3_600_000)) + 5)
                wait = min(wait, untilNext)
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                return
            }
            await checkAgreementStandings(at: Date(), checked: .timer)
        }
    }

    /// `date` in RFC 3339 (UTC), clamped to what 64-bit nanoseconds since 1970 hold.
    public static func instant(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        guard seconds > 0 else { return RFC3339.format(nanoseconds: 0) }
        guard seconds < 18_000_000_000 else { return RFC3339.format(nanoseconds: 18_000_000_000 * 1_000_000_000) }
        return RFC3339.format(nanoseconds: UInt64(seconds * 1_000_000_000))
    }

    static func windowFields(_ agreement: Agreement) -> [String: AuditValue] {
        var fields: [String: AuditValue] = [
            "agreement": .string(agreement.id), "version": .integer(Int64(agreement.version)),
            "valid_from": .string(instant(agreement.validFrom)),
        ]
        if let until = agreement.validUntil { fields["valid_until"] = .string(instant(until)) }
        return fields
    }

    static func standingEvent(_ agreement: Agreement, standing: Agreement.Standing, previous: Agreement.Standing?, checked: StandingCheck) -> AuditEvent {
        var fields = windowFields(agreement)
        fields["standing"] = .string(standing.rawValue)
        if let previous { fields["previous"] = .string(previous.rawValue) }
        fields["checked"] = .string(checked.rawValue)
        return AuditEvent(kind: .agreementStanding, actor: "exchange", fields: fields)
    }

    static func verb(_ standing: AuditValue?) -> String {
        switch standing {
        case .string("in_force"): "in force"
        case .string(let text): text.replacingOccurrences(of: "_", with: " ")
        default: "changed"
        }
    }

    static func logMetadata(_ event: AuditEvent) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for (name, value) in event.fields {
            switch value {
            case .string(let text): metadata[name] = "\(text)"
            case .integer(let number): metadata[name] = "\(number)"
            default: break
            }
        }
        return metadata
    }
}
