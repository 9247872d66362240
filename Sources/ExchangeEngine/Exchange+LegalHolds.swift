public import ExchangeStore
import ExchangeModel
public import Foundation
import ExchangeRouting
import Logging

extension Exchange {
    /// The legal holds that stand, oldest first.
    public func legalHolds() throws(ExchangeError) -> [LegalHold] {
        do {
            return try store.legalHolds()
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Sets a legal hold: retention removes nothing it covers until it is lifted. The hold and
    /// its `legal_hold` audit entry (`action: set`) commit together; setting a hold of a scope
    /// and value that already stands changes nothing and writes no entry (``LegalHoldOutcome/existing(_:)``).
    /// - Parameters:
    ///
    /// The value must name something the configuration in force declares
    /// (``legalHoldProblem(scope:value:)``), so that a hold never stands over nothing while
    /// retention removes what was meant.
    /// - Parameters:
    ///   - scope: what kind of thing it covers.
    ///   - value: the topic or topic pattern, agreement id, department id or subject.
    ///   - reason: why (a case number, a court order).
    ///   - actor: the admin setting it.
    ///   - now: when.
    /// - Throws: `hold.invalid` when the value names nothing declared or is over a limit.
    public func setLegalHold(
        scope: LegalHold.Scope, value: String, reason: String, actor: String, now: Date = Date()
    ) async throws(ExchangeError) -> LegalHoldOutcome {
        if let problem = LegalHold.problem(scope: scope, value: value, reason: reason, setBy: actor) ?? legalHoldProblem(scope: scope, value: value) {
            throw ExchangeError(.holdInvalid, problem)
        }
        let nanoseconds = UInt64(max(0, now.timeIntervalSince1970) * 1_000_000_000)
        let outcome: LegalHoldOutcome
        do {
            outcome = try await store.setLegalHold(scope: scope, value: value, reason: reason, setBy: actor, now: nanoseconds) { hold in
                Self.auditEvent(of: hold, action: "set", actor: actor)
            }
        } catch {
            throw Self.mapped(error)
        }
        if case .set(let hold) = outcome {
            logger.notice("legal hold set", metadata: ["hold": "\(hold.id)", "scope": "\(hold.scope.rawValue)", "value": "\(hold.value)", "actor": "\(actor)"])
        }
        return outcome
    }

    /// Why a hold of `scope` on `value` would cover nothing the configuration in force
    /// declares, or `nil` when it covers something:
    ///
    /// - `topic`: a topic of topics.yaml (names are compared exactly, case counts), or a topic
    ///   pattern (`*`, `>`) matching at least one of them; the hold then covers every topic it
    ///   matches, also those declared later;
    /// - `department`: a department of departments.yaml;
    /// - `agreement`: an agreement the configuration holds, whatever its status;
    /// - `subject`: any value (subjects are not declared; they are compared byte for byte).
    public func legalHoldProblem(scope: LegalHold.Scope, value: String) -> String? {
        let current = agreements.current
        let shown = AuditEvent.bounded(value)
        switch scope {
        case .topic:
            guard let pattern = TopicPattern(value) else {
                return "'\(shown)' is not a topic name or pattern: \(TopicPattern.syntaxError(value) ?? "malformed")"
            }
            let declared = current.topics.map(\.name)
            if declared.contains(where: pattern.matches) { return nil }
            var message =
                pattern.isLiteral
                ? "topic '\(shown)' is not declared in topics.yaml; holds match exact topic names or patterns such as a.b.>"
                : "topic pattern '\(shown)' matches no topic declared in topics.yaml; holds match exact topic names or patterns such as a.b.>"
            if let folded = declared.first(where: { $0.rawValue.lowercased() == value.lowercased() }) {
                message += "; topic names are case-sensitive: did you mean '\(folded.rawValue)'?"
            } else if value.utf8.count <= 128, let nearest = pattern.nearest(among: declared) {
                message += "; did you mean '\(nearest)'?"
            }
            return message
        case .department:
            if let id = DepartmentID(value), current.department(id) != nil { return nil }
            return "department '\(shown)' is not declared in departments.yaml"
        case .agreement:
            if current.agreement(value) != nil { return nil }
            return "agreement '\(shown)' is not declared in the agreement files (of any status)"
        case .subject:
            return nil
        }
    }

    /// Lifts legal hold `id`; the hold's removal and its `legal_hold` audit entry
    /// (`action: lifted`) commit together, and the next retention steps remove what it kept
    /// and what expired meanwhile.
    /// - Returns: the hold lifted, or `nil` when none of that number stands (nothing written).
    public func liftLegalHold(id: UInt64, actor: String) async throws(ExchangeError) -> LegalHold? {
        let hold: LegalHold?
        do {
            hold = try await store.liftLegalHold(id: id) { hold in Self.auditEvent(of: hold, action: "lifted", actor: actor) }
        } catch {
            throw Self.mapped(error)
        }
        if let hold {
            logger.notice("legal hold lifted", metadata: ["hold": "\(hold.id)", "scope": "\(hold.scope.rawValue)", "value": "\(hold.value)", "actor": "\(actor)"])
        }
        return hold
    }

    /// The `legal_hold` entry of a hold set or lifted: `action`, `hold` (its number), `scope`,
    /// `value`, `reason` and `set_by` (bounded as any client text).
    static func auditEvent(of hold: LegalHold, action: String, actor: String) -> AuditEvent {
        AuditEvent(
            kind: .legalHold, actor: actor,
            fields: [
                "action": .string(action), "hold": .integer(Int64(clamping: hold.id)), "scope": .string(hold.scope.rawValue),
                "value": .string(AuditEvent.bounded(hold.value)), "reason": .string(AuditEvent.bounded(hold.reason)),
                "set_by": .string(AuditEvent.bounded(hold.setBy)),
            ])
    }
}
