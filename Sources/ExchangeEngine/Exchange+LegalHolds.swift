public import ExchangeStore
import ExchangeModel
public import Foundation
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
    ///   - scope: what kind of thing it covers.
    ///   - value: the topic, agreement id, department id or subject.
    ///   - reason: why (a case number, a court order).
    ///   - actor: the admin setting it.
    ///   - now: when.
    public func setLegalHold(
        scope: LegalHold.Scope, value: String, reason: String, actor: String, now: Date = Date()
    ) async throws(ExchangeError) -> LegalHoldOutcome {
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
