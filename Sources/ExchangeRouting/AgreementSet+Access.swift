public import ExchangeModel
public import Foundation

extension AgreementSet {
    /// Checks that a department may publish to a topic: the department is declared, holds the
    /// `department` role, and owns the topic. Deny by default.
    /// - Parameters:
    ///   - publisher: the authenticated department.
    ///   - topic: the topic name published to.
    /// - Returns: the topic's definition (its key pointer, registry, schema).
    /// - Throws: ``AccessDenial`` with the reason.
    public func checkPublish(_ publisher: DepartmentID, to topic: String) throws(AccessDenial) -> TopicDefinition {
        guard let department = department(publisher) else {
            throw AccessDenial(.unknownDepartment, "department '\(publisher)' is not declared")
        }
        guard department.roles.contains(.department) else {
            throw AccessDenial(.missingRole, "department '\(publisher)' lacks the 'department' role needed to publish")
        }
        guard let table = core.tables[topic] else {
            throw AccessDenial(.unknownTopic, "topic '\(topic)' is not declared")
        }
        guard table.definition.owner == publisher else {
            throw AccessDenial(.notTopicOwner, "department '\(publisher)' does not own topic '\(topic)'; its owner is '\(table.definition.owner)'")
        }
        return table.definition
    }

    /// Checks that a department may subscribe with a topic filter: some agreement in force at
    /// `now` must let it receive at least one declared topic the filter matches. Only events
    /// routed to the department reach it anyway; the check refuses filters that can never
    /// deliver anything it is entitled to.
    /// - Parameters:
    ///   - department: the authenticated department.
    ///   - filter: the subscription's topic filter.
    ///   - now: the instant of the check.
    /// - Returns: the topics the subscription can currently receive, ordered by name.
    /// - Throws: ``AccessDenial`` with the reason.
    public func checkSubscribe(_ department: DepartmentID, to filter: TopicPattern, at now: Date) throws(AccessDenial) -> [Topic] {
        guard let declared = self.department(department) else {
            throw AccessDenial(.unknownDepartment, "department '\(department)' is not declared")
        }
        guard declared.roles.contains(.department) || declared.roles.contains(.portal) else {
            throw AccessDenial(.missingRole, "department '\(department)' lacks the 'department' or 'portal' role needed to subscribe")
        }
        let topics = receivableTopics(for: department, at: now).filter(filter.matches)
        guard !topics.isEmpty else {
            throw AccessDenial(.noAgreement, "no agreement in force lets '\(department)' receive topics matching '\(filter)'")
        }
        return topics
    }

    /// The declared topics some agreement in force at `now` lets `department` receive.
    /// - Parameters:
    ///   - department: the consumer.
    ///   - now: the instant.
    /// - Returns: the topics, ordered by name.
    public func receivableTopics(for department: DepartmentID, at now: Date) -> [Topic] {
        guard let index = core.departmentIndex[department] else { return [] }
        return core.topics.compactMap { topic in
            let table = core.tables[topic.name.rawValue]
            let receivable = table?.candidates.contains { candidate in
                candidate.consumerIndices.contains(index) && candidate.agreement.isInForce(at: now)
            }
            return receivable == true ? topic.name : nil
        }
    }
}
