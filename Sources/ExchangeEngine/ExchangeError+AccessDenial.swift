import ExchangeRouting

extension ExchangeError {
    /// The engine error of a routing-core refusal: the same stable code and message.
    /// - Parameters:
    ///   - denial: the refusal.
    ///   - isAudited: whether the refusal's audit entry was already written.
    init(_ denial: AccessDenial, isAudited: Bool = false) {
        self.init(Code(denial.code), denial.message, isAudited: isAudited)
    }
}

extension ExchangeError.Code {
    /// The engine code of a routing-core refusal code.
    init(_ code: AccessDenial.Code) {
        self =
            switch code {
            case .unknownDepartment: .unknownDepartment
            case .unknownTopic: .unknownTopic
            case .notTopicOwner: .notTopicOwner
            case .sourceMismatch: .sourceMismatch
            case .invalidTopic: .invalidTopic
            case .noAgreement: .noAgreement
            case .missingRole: .missingRole
            default: .internalFailure
            }
    }
}
