/// The result of loading a configuration, as a value the daemon audits.
///
/// Compared with the agreement set that was in force before: which agreements were added,
/// changed or removed, which files were refused and why. When ``isApplied`` is false (the
/// departments or topics could not be loaded), nothing changed and ``errors`` says why.
public struct ReloadReport: Hashable, Sendable {
    /// Whether the new set was put in force.
    public var isApplied: Bool
    /// Agreements that were not in force before.
    public var added: [AgreementReference]
    /// Agreements whose terms or status changed.
    public var changed: [AgreementChange]
    /// Agreements in force before that are gone, including those whose file was refused.
    public var removed: [AgreementReference]
    /// Agreement files that were refused, with their errors. A refused agreement is not in force
    /// (deny by default), even if an earlier version was.
    public var refused: [RefusedAgreement]
    /// Errors that prevented the whole load (departments, topics, unreadable directory).
    public var errors: [ConfigurationError]

    /// Creates a report.
    public init(
        isApplied: Bool, added: [AgreementReference] = [], changed: [AgreementChange] = [],
        removed: [AgreementReference] = [], refused: [RefusedAgreement] = [], errors: [ConfigurationError] = []
    ) {
        self.isApplied = isApplied
        self.added = added
        self.changed = changed
        self.removed = removed
        self.refused = refused
        self.errors = errors
    }

    /// Every error in the report: the fatal ones, then those of refused files.
    public var allErrors: [ConfigurationError] {
        errors + refused.flatMap(\.errors)
    }

    /// Whether nothing was refused and nothing failed.
    public var isClean: Bool { isApplied && refused.isEmpty && errors.isEmpty }
}

/// An agreement by id and version.
public struct AgreementReference: Hashable, Sendable, CustomStringConvertible {
    /// The agreement's id.
    public var id: String
    /// The agreement's version.
    public var version: Int

    /// Creates a reference.
    /// - Parameters:
    ///   - id: the id.
    ///   - version: the version.
    public init(id: String, version: Int) {
        self.id = id
        self.version = version
    }

    /// The text form, for logs and messages.
    public var description: String { "\(id) v\(version)" }
}

/// How one agreement changed in a reload.
public struct AgreementChange: Hashable, Sendable, CustomStringConvertible {
    /// The agreement's id.
    public var id: String
    /// The version before.
    public var fromVersion: Int
    /// The version now.
    public var toVersion: Int
    /// The status before.
    public var fromStatus: Agreement.Status
    /// The status now.
    public var toStatus: Agreement.Status

    /// Creates a change.
    public init(id: String, fromVersion: Int, toVersion: Int, fromStatus: Agreement.Status, toStatus: Agreement.Status) {
        self.id = id
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.fromStatus = fromStatus
        self.toStatus = toStatus
    }

    /// The text form, for logs and messages.
    public var description: String {
        var text = "\(id) v\(fromVersion) -> v\(toVersion)"
        if fromStatus != toStatus { text += " (\(fromStatus.rawValue) -> \(toStatus.rawValue))" }
        return text
    }
}

/// An agreement file that was refused.
public struct RefusedAgreement: Hashable, Sendable {
    /// The file.
    public var file: String
    /// The agreement id, when the file named one.
    public var id: String?
    /// Why it was refused.
    public var errors: [ConfigurationError]

    /// Creates a refusal.
    /// - Parameters:
    ///   - file: the file.
    ///   - id: the agreement id, if known.
    ///   - errors: the reasons.
    public init(file: String, id: String?, errors: [ConfigurationError]) {
        self.file = file
        self.id = id
        self.errors = errors
    }
}
