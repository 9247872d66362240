import ExchangeModel
import Foundation
import Yams

/// Loads and validates the exchange's configuration directory.
///
/// The directory holds `departments.yaml`, `topics.yaml` and one file per agreement in
/// `agreements/` (`*.yaml` or `*.yml`, read in name order). Errors name the file, line, column
/// and key. Problems in departments or topics refuse the whole load; a problem in an agreement
/// file refuses that agreement only, which is then not in force (deny by default).
///
/// ```swift
/// let result = ConfigurationLoader(directory: "Config").load(previous: registry.current)
/// if let set = result.set { /* put in force */ }
/// for error in result.report.allErrors { print(error) }
/// ```
public struct ConfigurationLoader: Sendable {
    /// The configuration directory, as a path; file names in errors start with it.
    public var directory: String

    /// Creates a loader.
    /// - Parameter directory: the configuration directory; default `Config`.
    public init(directory: String = "Config") {
        self.directory = directory
    }

    /// The outcome of a load.
    public struct Result: Sendable {
        /// The new agreement set, or `nil` when the load was refused as a whole.
        public var set: AgreementSet?
        /// What changed, what was refused, and why.
        public var report: ReloadReport
    }

    func path(_ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Loads the directory.
    /// - Parameter previous: the set in force now, to report changes against and to check that
    ///   changed agreements raised their version; default none.
    /// - Returns: the new set (if the departments and topics loaded) and the report.
    public func load(previous: AgreementSet? = nil) -> Result {
        var fatal: [ConfigurationError] = []
        let departments = loadDepartments(path("departments.yaml"), errors: &fatal)
        let topics = loadTopics(path("topics.yaml"), departments: departments ?? [], errors: &fatal)
        guard let departments, let topics, fatal.isEmpty else {
            return Result(set: nil, report: ReloadReport(isApplied: false, errors: fatal))
        }
        let context = ValidationContext(departments: departments, topics: topics)
        var refused: [RefusedAgreement] = []
        var loaded: [(file: String, agreement: Agreement)] = []
        for file in agreementFiles(errors: &fatal) {
            var reader = YAMLFile(file: file)
            let (id, agreement) = readAgreement(file, reader: &reader)
            if let agreement {
                for issue in context.issues(agreement) { reader.place(issue) }
            }
            if let agreement, reader.errors.isEmpty {
                loaded.append((file, agreement))
            } else {
                let errors = reader.errors.enumerated().sorted { lhs, rhs in
                    let left = (lhs.element.line ?? .max, lhs.element.column ?? .max, lhs.offset)
                    let right = (rhs.element.line ?? .max, rhs.element.column ?? .max, rhs.offset)
                    return left < right
                }
                refused.append(RefusedAgreement(file: file, id: id, errors: errors.map(\.element)))
            }
        }
        guard fatal.isEmpty else {
            return Result(set: nil, report: ReloadReport(isApplied: false, errors: fatal))
        }
        // The same id in several files: refuse them all.
        let counts = Dictionary(grouping: loaded, by: \.agreement.id)
        var accepted: [Agreement] = []
        for (file, agreement) in loaded {
            if let files = counts[agreement.id], files.count > 1 {
                let others = files.map(\.file).filter { $0 != file }.joined(separator: ", ")
                refused.append(RefusedAgreement(file: file, id: agreement.id, errors: [
                    ConfigurationError(.duplicate, file: file, key: "id", message: "agreement id '\(agreement.id)' is also used in \(others)")
                ]))
                continue
            }
            if let before = previous?.lastKnownAgreement(agreement.id), let problem = Self.versionProblem(before, agreement) {
                refused.append(RefusedAgreement(file: file, id: agreement.id, errors: [
                    ConfigurationError(.versionNotIncreased, file: file, key: "version", message: problem)
                ]))
                continue
            }
            accepted.append(agreement)
        }
        var retired = previous?.core.retired ?? [:]
        for agreement in previous?.agreements ?? [] { retired[agreement.id] = agreement }
        for agreement in accepted { retired[agreement.id] = nil }
        let set = AgreementSet(validated: departments, topics: topics, agreements: accepted, retired: retired)
        var report = Self.compare(previous ?? .empty, set)
        report.refused = refused.sorted { $0.file < $1.file }
        return Result(set: set, report: report)
    }

    /// Why `after` may not replace `before`: its terms changed but its version did not rise, or
    /// its version went down. A change of status alone needs no new version.
    static func versionProblem(_ before: Agreement, _ after: Agreement) -> String? {
        if after.version < before.version {
            return "version \(after.version) is lower than version \(before.version) in force"
        }
        var sameTerms = after
        sameTerms.status = before.status
        if sameTerms != before, after.version == before.version {
            return "the terms of '\(after.id)' changed but its version is still \(after.version); raise the version"
        }
        return nil
    }

    /// The report of replacing `before` with `after`.
    static func compare(_ before: AgreementSet, _ after: AgreementSet) -> ReloadReport {
        var report = ReloadReport(isApplied: true)
        for agreement in after.agreements {
            guard let old = before.agreement(agreement.id) else {
                report.added.append(AgreementReference(id: agreement.id, version: agreement.version))
                continue
            }
            if old != agreement {
                report.changed.append(AgreementChange(
                    id: agreement.id, fromVersion: old.version, toVersion: agreement.version,
                    fromStatus: old.status, toStatus: agreement.status))
            }
        }
        for agreement in before.agreements where after.agreement(agreement.id) == nil {
            report.removed.append(AgreementReference(id: agreement.id, version: agreement.version))
        }
        return report
    }

    func read(_ file: String, errors: inout [ConfigurationError]) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else {
            errors.append(ConfigurationError(.unreadable, file: file, message: "cannot read the file"))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            errors.append(ConfigurationError(.unreadable, file: file, message: "the file is not UTF-8 text"))
            return nil
        }
        return text
    }

    func agreementFiles(errors: inout [ConfigurationError]) -> [String] {
        let folder = path("agreements")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            errors.append(ConfigurationError(.unreadable, file: folder, message: "cannot list the agreements directory"))
            return []
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { folder + "/" + $0 }
    }
}
