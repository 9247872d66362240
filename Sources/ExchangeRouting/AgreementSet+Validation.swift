import ExchangeModel

extension AgreementSet {
    /// Problems in a list of departments: duplicate ids, certificate rules that are empty or
    /// that claim the same fingerprint or the same name as another department's.
    /// - Parameter departments: the departments, in file order.
    /// - Returns: the issues, keyed `departments[i]...`.
    public static func issues(departments: [Department]) -> [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        var ids: [DepartmentID: Int] = [:]
        var fingerprints: [String: DepartmentID] = [:]
        var names: [String: DepartmentID] = [:]
        for (index, department) in departments.enumerated() {
            let key = "departments[\(index)]"
            if let first = ids[department.id] {
                issues.append(.init(.duplicate, key: "\(key).id", message: "department '\(department.id)' is already declared at departments[\(first)]"))
                continue
            }
            ids[department.id] = index
            let certificate = department.certificate
            if certificate.isEmpty {
                issues.append(.init(.missingKey, key: "\(key).certificate", message: "department '\(department.id)' needs at least one of subject_cn, san, sha256 to recognise its client certificate"))
            }
            for fingerprint in certificate.fingerprintsSHA256 {
                if let other = fingerprints.updateValue(department.id, forKey: fingerprint) {
                    issues.append(.init(.duplicate, key: "\(key).certificate.sha256", message: "fingerprint \(fingerprint) is already mapped to department '\(other)'"))
                }
            }
            if certificate.fingerprintsSHA256.isEmpty, !certificate.isEmpty {
                let name = (certificate.subjectCommonName ?? "") + "|" + certificate.subjectAlternativeNames.sorted().joined(separator: ",")
                if let other = names.updateValue(department.id, forKey: name) {
                    issues.append(.init(.duplicate, key: "\(key).certificate", message: "the same certificate names already map to department '\(other)'; add sha256 fingerprints to tell them apart"))
                }
            }
            if department.roles.isEmpty {
                issues.append(.init(.invalidValue, key: "\(key).roles", message: "department '\(department.id)' needs at least one role"))
            }
        }
        return issues
    }

    /// Problems in a list of topics: duplicate names and owners that are not departments.
    /// - Parameters:
    ///   - topics: the topics, in file order.
    ///   - departments: the departments.
    /// - Returns: the issues, keyed `topics[i]...`.
    public static func issues(topics: [TopicDefinition], departments: [Department]) -> [ConfigurationIssue] {
        let known = Set(departments.map(\.id))
        var issues: [ConfigurationIssue] = []
        var seen: [Topic: Int] = [:]
        for (index, topic) in topics.enumerated() {
            if let first = seen.updateValue(index, forKey: topic.name) {
                issues.append(.init(.duplicate, key: "topics[\(index)].name", message: "topic '\(topic.name)' is already declared at topics[\(first)]"))
            }
            if !known.contains(topic.owner) {
                issues.append(.init(.unknownDepartment, key: "topics[\(index)].owner", message: "owner '\(topic.owner)' of topic '\(topic.name)' is not a declared department"))
            }
        }
        return issues
    }
}

/// What agreements are checked against: the declared departments and topics.
struct ValidationContext {
    let departments: Set<DepartmentID>
    let roles: [DepartmentID: Set<Department.Role>]
    /// Topics with their tokens, grouped by first token.
    let topicsByFirstToken: [Substring: [(TopicDefinition, [Substring])]]
    let allTopics: [(TopicDefinition, [Substring])]

    init(departments: [Department], topics: [TopicDefinition]) {
        self.departments = Set(departments.map(\.id))
        self.roles = Dictionary(departments.map { ($0.id, $0.roles) }, uniquingKeysWith: { first, _ in first })
        let split = topics.map { ($0, $0.name.tokens) }
        self.allTopics = split
        self.topicsByFirstToken = Dictionary(grouping: split, by: { $0.1[0] })
    }

    /// The declared topics `pattern` matches, in declaration order.
    func topics(matching pattern: TopicPattern) -> [TopicDefinition] {
        let pool: [(TopicDefinition, [Substring])]
        if case .literal(let first) = pattern.tokens.first {
            pool = topicsByFirstToken[Substring(first)] ?? []
        } else {
            pool = allTopics
        }
        return pool.filter { pattern.matches(tokens: $0.1) }.map(\.0)
    }

    /// The problems of one agreement, keyed by the agreement file's keys (`provider`,
    /// `consumers[1]`, `topics[0]`, ...).
    func issues(_ agreement: Agreement) -> [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        if !Agreement.isValidID(agreement.id) {
            issues.append(.init(.invalidValue, key: "id", message: "'\(agreement.id)' is not a valid agreement id (1-128 ASCII letters, digits, '-', '_', '.')"))
        }
        if agreement.version < 1 {
            issues.append(.init(.invalidValue, key: "version", message: "version must be 1 or more, not \(agreement.version)"))
        }
        if !departments.contains(agreement.provider) {
            issues.append(.init(.unknownDepartment, key: "provider", message: "provider '\(agreement.provider)' is not a declared department"))
        } else if roles[agreement.provider]?.contains(.department) != true {
            issues.append(.init(.invalidValue, key: "provider", message: "provider '\(agreement.provider)' lacks the 'department' role, so it cannot publish"))
        }
        if agreement.consumers.isEmpty {
            issues.append(.init(.invalidValue, key: "consumers", message: "an agreement needs at least one consumer"))
        }
        var seenConsumers: Set<DepartmentID> = []
        for (index, consumer) in agreement.consumers.enumerated() {
            if !departments.contains(consumer) {
                issues.append(.init(.unknownDepartment, key: "consumers[\(index)]", message: "consumer '\(consumer)' is not a declared department"))
            } else if consumer == agreement.provider {
                issues.append(.init(.invalidValue, key: "consumers[\(index)]", message: "the provider '\(consumer)' cannot be a consumer of its own agreement"))
            } else if roles[consumer]?.isDisjoint(with: [.department, .portal]) != false {
                issues.append(.init(.invalidValue, key: "consumers[\(index)]", message: "consumer '\(consumer)' has neither the 'department' nor the 'portal' role, so it cannot receive"))
            } else if !seenConsumers.insert(consumer).inserted {
                issues.append(.init(.duplicate, key: "consumers[\(index)]", message: "consumer '\(consumer)' is listed twice"))
            }
        }
        if agreement.topics.isEmpty {
            issues.append(.init(.invalidValue, key: "topics", message: "an agreement needs at least one topic pattern"))
        }
        for (index, pattern) in agreement.topics.enumerated() {
            let matched = topics(matching: pattern)
            if let foreign = matched.first(where: { $0.owner != agreement.provider }) {
                issues.append(.init(.topicNotOwned, key: "topics[\(index)]", message: "pattern '\(pattern)' covers topic '\(foreign.name)', which is owned by '\(foreign.owner)', not by provider '\(agreement.provider)'"))
            } else if matched.isEmpty {
                issues.append(.init(.patternMatchesNothing, key: "topics[\(index)]", message: "pattern '\(pattern)' matches no topic owned by provider '\(agreement.provider)'"))
            } else if let closed = matched.first(where: { $0.catalogue?.sharingType == .notShared }) {
                issues.append(.init(
                    .topicNotShared, key: "topics[\(index)]",
                    message: "pattern '\(pattern)' covers topic '\(closed.name)', which the catalogue marks not shared (不予共享); no agreement may route it"))
            }
        }
        if let fields = agreement.fields, fields.isEmpty {
            issues.append(.init(.invalidValue, key: "fields", message: "an empty field list shares nothing; leave 'fields' out to share all fields"))
        }
        if let validUntil = agreement.validUntil, validUntil <= agreement.validFrom {
            issues.append(.init(.invalidValue, key: "valid_until", message: "valid_until must be after valid_from"))
        }
        return issues
    }
}
