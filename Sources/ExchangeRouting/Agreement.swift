public import ExchangeModel
public import Foundation

/// A data-sharing agreement: what a provider shares, with whom, under which conditions, and
/// for how long. Nothing is routed without one.
///
/// An agreement is in force at an instant when its ``status`` is ``Status/active`` and the
/// instant lies in its validity window: `validFrom <= now < validUntil` (the start is included,
/// the end is not; no `validUntil` means open-ended).
public struct Agreement: Hashable, Sendable {
    /// The agreement's identifier, e.g. `msa-tax-business-licences`.
    public var id: String
    /// The version of the agreement's terms; each change of the terms raises it.
    public var version: Int
    /// The title for people.
    public var title: String
    /// The department that provides the data.
    public var provider: DepartmentID
    /// The departments that receive it.
    public var consumers: [DepartmentID]
    /// The topics shared; each pattern must match only topics the provider owns.
    public var topics: [TopicPattern]
    /// The fields consumers may see; `nil` means all of the data.
    public var fields: [JSONPointer]?
    /// The content condition events must meet; `nil` means every event on the topics.
    public var match: ContentPattern?
    /// Why the data is shared.
    public var purpose: String
    /// The legal basis of the sharing.
    public var legalBasis: String
    /// The first instant the agreement is in force.
    public var validFrom: Date
    /// The instant the agreement ends (excluded); `nil` means open-ended.
    public var validUntil: Date?
    /// Whether the agreement is active, suspended or revoked.
    public var status: Status

    /// Creates an agreement.
    /// - Parameters:
    ///   - id: the identifier.
    ///   - version: the version of the terms; default 1.
    ///   - title: the title for people; default the id.
    ///   - provider: the providing department.
    ///   - consumers: the receiving departments.
    ///   - topics: the shared topic patterns.
    ///   - fields: the visible fields; default `nil` (all).
    ///   - match: the content condition; default `nil` (all events).
    ///   - purpose: why the data is shared; default empty.
    ///   - legalBasis: the legal basis; default empty.
    ///   - validFrom: the start of the window (included); default the distant past.
    ///   - validUntil: the end of the window (excluded); default `nil` (open-ended).
    ///   - status: the status; default ``Status/active``.
    public init(
        id: String, version: Int = 1, title: String? = nil, provider: DepartmentID, consumers: [DepartmentID],
        topics: [TopicPattern], fields: [JSONPointer]? = nil, match: ContentPattern? = nil,
        purpose: String = "", legalBasis: String = "", validFrom: Date = .distantPast, validUntil: Date? = nil,
        status: Status = .active
    ) {
        self.id = id
        self.version = version
        self.title = title ?? id
        self.provider = provider
        self.consumers = consumers
        self.topics = topics
        self.fields = fields
        self.match = match
        self.purpose = purpose
        self.legalBasis = legalBasis
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.status = status
    }

    /// The lifecycle state of an agreement.
    public enum Status: String, Hashable, Sendable, CaseIterable {
        /// In force within its validity window.
        case active
        /// Temporarily not in force; queued messages are withheld.
        case suspended
        /// Permanently ended; queued messages are withheld.
        case revoked
    }

    /// Whether `now` lies in the validity window (`validFrom <= now < validUntil`).
    public func isWithinWindow(at now: Date) -> Bool {
        guard now >= validFrom else { return false }
        if let validUntil, now >= validUntil { return false }
        return true
    }

    /// Whether the agreement is active and within its window at `now`.
    public func isInForce(at now: Date) -> Bool {
        status == .active && isWithinWindow(at: now)
    }

    /// Whether `text` is a valid agreement id: 1 to 128 ASCII letters, digits, `-`, `_`, `.`.
    public static func isValidID(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default:
                false
            }
        }
    }
}
