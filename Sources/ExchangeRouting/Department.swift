public import ExchangeModel

/// A department taking part in the exchange, as `departments.yaml` declares it.
public struct Department: Hashable, Sendable {
    /// The department's identifier.
    public var id: DepartmentID
    /// The department's name for people, e.g. `Municipal Tax Bureau`.
    public var name: String
    /// How a client certificate is recognised as this department's.
    public var certificate: CertificateIdentity
    /// What the department may do. Default: `[.department]`.
    public var roles: Set<Role>

    /// Creates a department.
    /// - Parameters:
    ///   - id: the identifier.
    ///   - name: the name for people.
    ///   - certificate: how its client certificate is recognised.
    ///   - roles: what it may do; default `[.department]`.
    public init(id: DepartmentID, name: String, certificate: CertificateIdentity, roles: Set<Role> = [.department]) {
        self.id = id
        self.name = name
        self.certificate = certificate
        self.roles = roles
    }
}

extension Department {
    /// A role a department or client may hold.
    public enum Role: String, Hashable, Sendable, CaseIterable {
        /// Publishes to its own topics and subscribes to what its agreements give it.
        case department
        /// Queries the registry within its agreements.
        case portal
        /// Reads the audit log and replays everything, read-only.
        case auditor
        /// Manages agreements, departments and reloads.
        case admin

        /// The roles `departments.yaml` may give a department: `department` and `portal`. The
        /// `auditor` and `admin` roles are held by bearer tokens only, so that no certificate
        /// carries the administration or audit role beside a department's.
        public static let certificateRoles: [Role] = [.department, .portal]
    }
}
