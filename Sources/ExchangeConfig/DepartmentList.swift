public import ExchangeModel
import Foundation

/// The department ids of a departments file (Config/departments.yaml), read in its simplest form:
/// a YAML list of entries with an `id` key, at the top level or under `departments:`.
///
/// ```yaml
/// departments:
///   - id: market-regulation
///   - id: tax-bureau
/// ```
///
/// The routing library owns the full departments format; this reader only needs the ids, to
/// issue development certificates and to recognise certificates by common name until the
/// routing library's resolver is wired in.
public enum DepartmentList {
    /// Reads the ids.
    /// - Parameter path: the YAML file.
    /// - Throws: ``ConfigKeyError`` naming the entry at fault.
    public static func load(path: String) throws -> [DepartmentID] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigKeyError(file: path, key: "(file)", message: "cannot be read: \(error.localizedDescription)")
        }
        let root = try ConfigReader.document(text: text, path: path)
        let entries: [Any]
        let prefix: String
        switch root {
        case let list as [Any]:
            entries = list
            prefix = ""
        case let mapping as [String: Any]:
            guard let list = mapping["departments"] as? [Any] else {
                throw ConfigKeyError(file: path, key: "departments", message: "must be a list of entries with an id")
            }
            entries = list
            prefix = "departments"
        case nil:
            return []
        default:
            throw ConfigKeyError(file: path, key: "(file)", message: "must be a list of entries with an id")
        }
        var ids: [DepartmentID] = []
        for (index, entry) in entries.enumerated() {
            let key = "\(prefix)[\(index)].id"
            guard let text = (entry as? [String: Any])?["id"] as? String else {
                throw ConfigKeyError(file: path, key: key, message: "is required")
            }
            guard let id = DepartmentID(text) else {
                throw ConfigKeyError(file: path, key: key, message: "\"\(text)\" is not a department id (letters, digits, -, _, ., at most 64)")
            }
            guard !ids.contains(id) else {
                throw ConfigKeyError(file: path, key: key, message: "\"\(text)\" appears twice")
            }
            ids.append(id)
        }
        return ids
    }
}
