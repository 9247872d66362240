import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting

extension Principal {
    /// What this principal may see of the registry and the data tracker under `agreements`: a
    /// department sees its own part; a portal token acts as the department its name names (e.g.
    /// `service-portal`) when departments.yaml gives that department the `portal` role, and sees
    /// nothing otherwise (so a token named after another department gets none of its view);
    /// auditors and admins see everything.
    func dataViewer(in agreements: AgreementSet) -> DataViewer {
        switch self {
        case .department(let department): return .department(department)
        case .token(let name, .portal):
            guard let id = DepartmentID(name), let department = agreements.department(id), department.roles.contains(.portal)
            else { return .nobody }
            return .department(id)
        case .token: return .everything
        }
    }
}
