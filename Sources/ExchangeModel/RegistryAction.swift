/// What an event on a feeding topic does to its registry entry, read from the event's `type`.
///
/// The last dot-separated token of `type` names the action (`gov.samr.licence.issued` →
/// `issued`); when it names none, the last token of the topic does (`licence.business.revoked`
/// → `revoked`). Anything else is `unknown`: stored, recorded in the entry's history with the
/// flag `unknown_type`, and without effect on status or data.
public enum RegistryAction: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The licence was issued: creates the entry, status `valid`, data replaced.
    case issued
    /// The licence's particulars changed: data replaced, status unchanged.
    case amended
    /// The licence was renewed (new validity dates): data replaced, status unchanged.
    case renewed
    /// The licence was suspended: status `suspended`.
    case suspended
    /// A suspension was lifted: status `valid`.
    case reinstated
    /// The licence was revoked for good: status `revoked`.
    case revoked
    /// The type names no action.
    case unknown

    /// The action of an event of `type` on `topic`.
    /// - Parameters:
    ///   - type: the CloudEvents `type`.
    ///   - topic: the topic the event was published to.
    public init(type: String, topic: String) {
        if let action = Self.named(type) ?? Self.named(topic) {
            self = action
        } else {
            self = .unknown
        }
    }

    private static func named(_ dotted: String) -> RegistryAction? {
        let last = dotted.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? dotted
        guard let action = RegistryAction(rawValue: last), action != .unknown else { return nil }
        return action
    }

    /// The one-byte code stored in history items.
    var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }

    /// The action of a stored code.
    init?(code: UInt8) {
        guard Int(code) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(code)]
    }

    /// The action's name.
    public var description: String { rawValue }
}
