public import ExchangeModel

/// Whose view of the registry a query takes.
public enum RegistryViewer: Hashable, Sendable {
    /// A department, or the portal acting as its department: entries whose current data an
    /// agreement in force would deliver to it, projected to that agreement's fields.
    case department(DepartmentID)
    /// Every entry, whole (auditors).
    case everything
    /// No entry: a portal token whose name is no department with the `portal` role.
    case nobody
}
