import ExchangeEngine
import ExchangeWire

extension ProblemCode {
    /// The problem code answering an engine error code, or `nil` for the codes that are not
    /// answered as themselves (``ExchangeError/Code/store`` is answered as its store error,
    /// ``ExchangeError/Code/internalFailure`` as `server.internal`).
    /// - Parameter code: the engine's code.
    static func engine(_ code: ExchangeError.Code) -> ProblemCode? {
        engineCodes[code]
    }

    /// Each engine code with the entry of this table answering it (the same text).
    static let engineCodes: [ExchangeError.Code: ProblemCode] = [
        .publishEmpty: .publishEmpty,
        .schemaViolation: .publishSchemaViolation,
        .fieldTooLong: .publishFieldTooLong,
        .idConflict: .publishIdConflict,
        .unknownTopic: .accessUnknownTopic,
        .notTopicOwner: .accessNotTopicOwner,
        .sourceMismatch: .accessSourceMismatch,
        .unknownDepartment: .accessUnknownDepartment,
        .invalidTopic: .accessInvalidTopic,
        .noAgreement: .accessNoAgreement,
        .missingRole: .accessMissingRole,
        .invalidSubscriptionName: .subscriptionInvalidName,
        .invalidSubscriptionFilter: .subscriptionInvalidFilter,
        .invalidSubscriptionLimits: .subscriptionInvalidLimits,
        .subscriptionNotFound: .subscriptionNotFound,
        .subscriptionNameTaken: .subscriptionNameTaken,
        .subscriptionLimit: .subscriptionLimitReached,
        .unknownCollection: .registryUnknownCollection,
        .registryEntryNotFound: .registryNotFound,
        .notEntitled: .registryNotEntitled,
        .badRegistryQuery: .registryBadQuery,
        .badRegistryCursor: .registryBadCursor,
        .bulkReadsBusy: .replayBusy,
        .readsLimited: .readsRateLimited,
        .holdInvalid: .holdInvalid,
    ]
}
