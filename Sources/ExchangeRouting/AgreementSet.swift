public import ExchangeModel
import Foundation

/// An immutable, validated snapshot of the exchange's departments, topics and agreements,
/// indexed for routing.
///
/// Build one with ``init(departments:topics:agreements:)`` or load one with
/// ``ConfigurationLoader``; swap snapshots at runtime through ``AgreementRegistry``. Copying a
/// snapshot is cheap (one reference).
///
/// Routing looks up the event's topic in a table computed at build time that lists the active
/// agreements covering that topic, already in overlap order, so routing never scans all
/// agreements.
public struct AgreementSet: Sendable {
    let core: Core

    final class Core: Sendable {
        let departments: [Department]
        let departmentIndex: [DepartmentID: Int]
        let topics: [TopicDefinition]
        let agreements: [Agreement]
        let agreementsByID: [String: CompiledAgreement]
        let tables: [String: TopicTable]
        /// The last terms of agreements that were in force in an earlier set and are not in
        /// this one, so that a later reload cannot bring back an id with other terms under the
        /// same version.
        let retired: [String: Agreement]

        init(departments: [Department], topics: [TopicDefinition], agreements: [Agreement], retired: [String: Agreement]) {
            let departments = departments.sorted { $0.id < $1.id }
            var departmentIndex: [DepartmentID: Int] = [:]
            for (index, department) in departments.enumerated() {
                departmentIndex[department.id] = index
            }
            let topics = topics.sorted { $0.name < $1.name }
            let agreements = agreements.sorted { $0.id < $1.id }
            var byID: [String: CompiledAgreement] = [:]
            for agreement in agreements {
                byID[agreement.id] = CompiledAgreement(agreement, departmentIndex: departmentIndex)
            }
            var byProvider: [DepartmentID: [CompiledAgreement]] = [:]
            for agreement in agreements where agreement.status == .active {
                byProvider[agreement.provider, default: []].append(byID[agreement.id]!)
            }
            var tables: [String: TopicTable] = [:]
            for topic in topics {
                var ranked: [(TopicPattern.Specificity, CompiledAgreement)] = []
                let tokens = topic.name.tokens
                for compiled in byProvider[topic.owner] ?? [] {
                    let best = compiled.agreement.topics.filter { $0.matches(tokens: tokens) }.map(\.specificity).max()
                    if let best { ranked.append((best, compiled)) }
                }
                ranked.sort { AgreementSet.precedes($0, $1) }
                let candidates = ranked.map(\.1)
                tables[topic.name.rawValue] = TopicTable(definition: topic, candidates: candidates)
            }
            self.departments = departments
            self.departmentIndex = departmentIndex
            self.topics = topics
            self.agreements = agreements
            self.agreementsByID = byID
            self.tables = tables
            self.retired = retired
        }
    }

    /// The overlap rule: which of two agreements reaching the same consumer on a topic wins.
    /// The one whose best matching topic pattern is more specific; then the one with a content
    /// pattern; then the lower id.
    static func precedes(
        _ lhs: (TopicPattern.Specificity, CompiledAgreement), _ rhs: (TopicPattern.Specificity, CompiledAgreement)
    ) -> Bool {
        if lhs.0 != rhs.0 { return lhs.0 > rhs.0 }
        let lhsMatch = lhs.1.agreement.match != nil
        let rhsMatch = rhs.1.agreement.match != nil
        if lhsMatch != rhsMatch { return lhsMatch }
        return lhs.1.agreement.id < rhs.1.agreement.id
    }

    /// An empty snapshot: no departments, no topics, no agreements; everything is denied.
    public static let empty = AgreementSet(validated: [], topics: [], agreements: [])

    /// Builds a snapshot from values that were already validated.
    init(validated departments: [Department], topics: [TopicDefinition], agreements: [Agreement], retired: [String: Agreement] = [:]) {
        self.core = Core(departments: departments, topics: topics, agreements: agreements, retired: retired)
    }

    /// The agreement with `id` in this set, or else its last terms in an earlier set it was
    /// carried forward from.
    func lastKnownAgreement(_ id: String) -> Agreement? {
        agreement(id) ?? core.retired[id]
    }

    /// Validates values and builds a snapshot.
    ///
    /// - Parameters:
    ///   - departments: the departments.
    ///   - topics: the topics; owners must be departments.
    ///   - agreements: the agreements; see ``Agreement`` for the rules they must follow.
    /// - Throws: ``ConfigurationErrors`` listing every problem found, with key paths.
    public init(departments: [Department], topics: [TopicDefinition], agreements: [Agreement]) throws(ConfigurationErrors) {
        var errors: [ConfigurationError] = []
        errors += Self.issues(departments: departments).map(\.error)
        errors += Self.issues(topics: topics, departments: departments).map(\.error)
        var seen: Set<String> = []
        let context = ValidationContext(departments: departments, topics: topics)
        for (index, agreement) in agreements.enumerated() {
            if !seen.insert(agreement.id).inserted {
                errors.append(ConfigurationError(.duplicate, key: "agreements[\(index)].id", message: "agreement id '\(agreement.id)' is used twice"))
            }
            errors += context.issues(agreement).map {
                ConfigurationError($0.code, key: "agreements[\(index)].\($0.key)", message: "\(agreement.id): \($0.message)")
            }
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors) }
        self.init(validated: departments, topics: topics, agreements: agreements)
    }

    /// The departments, ordered by id.
    public var departments: [Department] { core.departments }
    /// The topics, ordered by name.
    public var topics: [TopicDefinition] { core.topics }
    /// All agreements whatever their status, ordered by id.
    public var agreements: [Agreement] { core.agreements }

    /// The department with `id`, if configured.
    public func department(_ id: DepartmentID) -> Department? {
        core.departmentIndex[id].map { core.departments[$0] }
    }

    /// The topic named `name`, if configured.
    public func topic(_ name: String) -> TopicDefinition? {
        core.tables[name]?.definition
    }

    /// The agreement with `id`, whatever its status.
    public func agreement(_ id: String) -> Agreement? {
        core.agreementsByID[id]?.agreement
    }

    /// The department a verified client certificate belongs to.
    /// - Parameter certificate: the certificate's identity facts.
    /// - Returns: the one department whose rule accepts it, or `nil` when none or several do
    ///   (an ambiguous mapping is refused).
    public func department(for certificate: PresentedCertificate) -> Department? {
        let matching = core.departments.filter { $0.certificate.accepts(certificate) }
        return matching.count == 1 ? matching[0] : nil
    }
}

/// Several configuration errors found together.
public struct ConfigurationErrors: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errors, in the order found.
    public let errors: [ConfigurationError]

    /// Wraps errors.
    /// - Parameter errors: the errors.
    public init(_ errors: [ConfigurationError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
