public import Foundation

extension Agreement {
    /// Where an agreement stands at an instant, from its status and its validity window: what
    /// the register of agreements shows and what the daemon audits when it changes.
    public enum Standing: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Active, but its window has not begun (`now < valid_from`).
        case pending
        /// Active and within its window: events are routed and delivered under it.
        case inForce = "in_force"
        /// Active, but its window has ended (`now >= valid_until`).
        case lapsed
        /// Suspended by its file's `status`.
        case suspended
        /// Revoked by its file's `status`.
        case revoked

        /// The stable name, e.g. `in_force`.
        public var description: String { rawValue }
    }

    /// Where the agreement stands at `now`. A suspended or revoked agreement stands so whatever
    /// its window; an active one is pending, in force or lapsed by its window.
    /// - Parameter now: the instant.
    public func standing(at now: Date) -> Standing {
        switch status {
        case .revoked: return .revoked
        case .suspended: return .suspended
        case .active:
            if now < validFrom { return .pending }
            if let validUntil, now >= validUntil { return .lapsed }
            return .inForce
        }
    }

    /// The first instant after `now` at which the standing changes by the passing of time
    /// alone (`valid_from` of a pending agreement, `valid_until` of one in force), or `nil`
    /// when none will.
    /// - Parameter now: the instant.
    public func nextBoundary(after now: Date) -> Date? {
        guard status == .active else { return nil }
        if now < validFrom { return validFrom }
        if let validUntil, now < validUntil { return validUntil }
        return nil
    }
}
