import ExchangeAudit
import ExchangeEngine
import ExchangeServer
import ExchangeStore
import ExchangeWire
import Foundation
import HTTPTypes
import Logging
import Testing

/// The one mapping of errors to problem documents: every engine code is answered as the code
/// and status docs/errors.md lists, and every error type reaches its documented problem.
@Suite struct ProblemAnsweringTests {
    let logger = Logger(label: "test")

    /// The rows of docs/errors.md's tables: code → status.
    static func documentedCodes() throws -> [String: Int] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/errors.md").standardized
        var rows: [String: Int] = [:]
        for line in try String(contentsOf: docs, encoding: .utf8).split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, let status = Int(cells[1]) else { continue }
            rows[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = status
        }
        return rows
    }

    @Test func everyEngineCodeIsAnsweredAsTheCodeAndStatusDocumented() throws {
        let documented = try Self.documentedCodes()
        for code in ExchangeError.Code.allCases where code != .store && code != .internalFailure {
            let problem = ProblemError(answering: ExchangeError(code, "why"), logger: logger)
            #expect(problem.code.rawValue == code.rawValue, "\(code) is answered as \(problem.code)")
            #expect(documented[code.rawValue] == Int(problem.code.status.code), "docs/errors.md lists \(code) with another status, or not at all")
            #expect(problem.detail == "why")
            #expect(ProblemCode.all.contains(problem.code))
        }
    }

    @Test func engineCodesAreSpelledAsTheOtherCodes() {
        for code in ExchangeError.Code.allCases {
            #expect(!code.rawValue.contains("-"), "\(code) mixes - into a code spelled with _")
        }
    }

    @Test func docsListNoCodeTheTableLacks() throws {
        let table = Set(ProblemCode.all.map(\.rawValue))
        for code in try Self.documentedCodes().keys {
            #expect(table.contains(code), "docs/errors.md lists \(code), which is never answered")
        }
    }

    @Test func engineAuditedRefusalsStayAudited() {
        var error = ExchangeError(.notTopicOwner, "not yours")
        #expect(!ProblemError(answering: error, logger: logger).isAudited)
        error.isAudited = true
        #expect(ProblemError(answering: error, logger: logger).isAudited)
    }

    @Test func storeErrorsAreAnsweredAlikeDirectlyAndThroughTheEngine() {
        for code in [StoreError.Code.storeFull, .closed, .notFound, .conflict, .invalidRequest, .storage, .corruptRecord] {
            let storeError = StoreError(code: code, message: "m")
            let direct = ProblemError(answering: storeError, logger: logger)
            let throughEngine = ProblemError(answering: ExchangeError(storeError), logger: logger)
            #expect(direct.code == throughEngine.code && direct.detail == throughEngine.detail, "\(code)")
            #expect(direct.code == ProblemError(storeError).code)
        }
        #expect(ProblemError(answering: ExchangeError(StoreError(code: .storeFull, message: "m")), logger: logger).code == .storeFull)
        #expect(ProblemError(answering: ExchangeError(StoreError(code: .storage, message: "m")), logger: logger).code == .storeFailure)
    }

    @Test func otherErrorTypes() {
        #expect(ProblemError(answering: ExchangeError(.internalFailure, "secret"), logger: logger).code == .internalError)
        #expect(ProblemError(answering: ExchangeError(.internalFailure, "secret"), logger: logger).detail == nil)
        #expect(ProblemError(answering: AuditError(.malformedKey, "secret"), logger: logger).code == .internalError)
        let decoding = DecodingError.keyNotFound(
            AnyKey("sequences"), DecodingError.Context(codingPath: [], debugDescription: "missing"))
        let problem = ProblemError(answering: decoding, logger: logger)
        #expect(problem.code == .badRequest)
        #expect(problem.detail == "missing \"sequences\"")
        #expect(ProblemError(answering: ProblemError(.emptyBatch), logger: logger).code == .emptyBatch)
        #expect(ProblemError(answering: CancellationError(), logger: logger).code == .internalError)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
