public import ExchangeModel

/// Whose view of the data the exchange carries a read takes: the registry
/// (``Exchange/registryLookup(collection:key:history:viewer:actor:)``) and the data tracker
/// (``Exchange/subjectTrail(_:viewer:before:limit:)``).
public enum DataViewer: Hashable, Sendable {
    /// A department, or the portal acting as its department. In the registry: entries whose
    /// current data an agreement in force would deliver to it, projected to that agreement's
    /// fields. In the data tracker: the events it published or received, each with all its
    /// recipients.
    case department(DepartmentID)
    /// Everything, whole (auditors and admins).
    case everything
    /// Nothing: a portal token whose name is no department with the `portal` role.
    case nobody
}
