import ExchangeEngine
import HTTPTypes

extension ExchangeError {
    /// The problem document answering this error: its stable code, with the status of its kind.
    var problem: ProblemError {
        var problem = ProblemError(ProblemCode.engine(code, kind: kind), detail: message)
        problem.isAudited = isAudited
        return problem
    }
}

extension ProblemCode {
    /// The problem code of an engine error: the engine's stable code with the status of its kind.
    static func engine(_ code: String, kind: ExchangeError.Kind) -> ProblemCode {
        if let known = exchangeCodes.first(where: { $0.rawValue == code }) { return known }
        if code == ProblemCode.storeFull.rawValue { return .storeFull }
        return switch kind {
        case .invalid: ProblemCode(code, status: .badRequest, title: "Invalid request")
        case .forbidden: ProblemCode(code, status: .forbidden, title: "Forbidden")
        case .notFound: ProblemCode(code, status: .notFound, title: "Not found")
        case .conflict: ProblemCode(code, status: .conflict, title: "Conflict")
        case .unavailable: ProblemCode(code, status: .serviceUnavailable, title: "Service unavailable")
        }
    }
}

extension ProblemError {
    /// The problem document for any error a handler meets: engine and store errors keep their
    /// codes; anything else is an internal failure.
    static func from(_ error: any Error) -> ProblemError {
        switch error {
        case let problem as ProblemError: problem
        case let exchange as ExchangeError: exchange.problem
        default: ProblemError(.storeFailure, detail: "the exchange could not complete the request")
        }
    }
}
