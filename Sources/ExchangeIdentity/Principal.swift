public import ExchangeModel

/// What an identity may do on the exchange.
public enum Role: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A department authenticated by its client certificate: publishes to its own topics and
    /// subscribes to what its agreements give it.
    case department
    /// The licence portal: queries the registry within its agreements.
    case portal
    /// An auditor: reads the audit log and replays everything, read-only.
    case auditor
    /// An operator: agreements, departments, reload.
    case admin
    /// Operation of the host: hot backups of the store (`POST /v1/operation/backup`), and
    /// `/metrics` when `server.metrics_access` is `operator`; reads
    /// nothing the exchange carries and changes no configuration.
    case `operator`

    /// The role's name.
    public var description: String { rawValue }
}

/// The authenticated identity of a request.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    /// A department, from its client certificate.
    case department(DepartmentID)
    /// A bearer token, by its name and role (never `.department`).
    case token(name: String, role: Role)

    /// The role of the identity.
    public var role: Role {
        switch self {
        case .department: .department
        case .token(_, let role): role
        }
    }

    /// The name written as the `actor` of audit entries: the department id or the token name.
    public var actor: String {
        switch self {
        case .department(let id): id.rawValue
        case .token(let name, _): name
        }
    }

    /// The department, when the identity is one.
    public var department: DepartmentID? {
        if case .department(let id) = self { return id }
        return nil
    }

    /// `department ID` or `ROLE token NAME`.
    public var description: String {
        switch self {
        case .department(let id): "department \(id)"
        case .token(let name, let role): "\(role) token \(name)"
        }
    }
}
