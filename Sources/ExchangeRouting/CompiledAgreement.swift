import ExchangeModel
import Foundation

/// An agreement prepared for routing: consumers interned, window as numbers, projection built.
final class CompiledAgreement: Sendable {
    let agreement: Agreement
    let consumerIndices: [Int]
    let validFrom: Double
    let validUntil: Double
    let projection: FieldProjection?

    init(_ agreement: Agreement, departmentIndex: [DepartmentID: Int]) {
        self.agreement = agreement
        self.consumerIndices = agreement.consumers.compactMap { departmentIndex[$0] }
        self.validFrom = agreement.validFrom.timeIntervalSince1970
        self.validUntil = agreement.validUntil?.timeIntervalSince1970 ?? .infinity
        self.projection = agreement.fields.map(FieldProjection.init)
    }
}

/// The agreements that may route events on one topic, in overlap order.
struct TopicTable: Sendable {
    let definition: TopicDefinition
    /// Active agreements whose patterns match the topic, most specific first.
    let candidates: [CompiledAgreement]
}
