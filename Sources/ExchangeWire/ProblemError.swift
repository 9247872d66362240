public import HTTPTypes

/// An error answered as an RFC 9457 problem document (`application/problem+json`).
///
/// Throw it from any handler or middleware; the problem middleware writes it, and reports 401 and
/// 403 answers to the refusal observer.
///
/// ```swift
/// throw ProblemError(.missingAttribute, detail: "attribute \"id\" is required")
/// ```
public struct ProblemError: Error, Sendable, CustomStringConvertible {
    /// The stable code, with its status and title.
    public var code: ProblemCode
    /// An explanation specific to this occurrence, safe to show the client.
    public var detail: String?
    /// Extra response headers, e.g. `WWW-Authenticate`.
    public var headers: HTTPFields
    /// Whether the refusal's audit entry was already written (by the engine), so that the
    /// problem middleware writes none.
    public var isAudited = false
    /// Extension members (RFC 9457, 3.2) with whole-number values, written after `code` in
    /// this order, e.g. `original_sequence` of `publish.id_conflict`.
    public var integerMembers: [(name: String, value: UInt64)] = []

    /// Creates a problem.
    /// - Parameters:
    ///   - code: the stable code.
    ///   - detail: an explanation of this occurrence; never secrets.
    ///   - headers: extra response headers.
    public init(_ code: ProblemCode, detail: String? = nil, headers: HTTPFields = [:]) {
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    /// `code: detail`.
    public var description: String {
        if let detail { return "\(code.rawValue): \(detail)" }
        return code.rawValue
    }

    /// The problem document: `type`, `title`, `status`, `detail`, `instance`, `code` and the
    /// ``integerMembers``.
    /// - Parameter instance: the request path the problem occurred on.
    /// - Returns: UTF-8 JSON bytes.
    public func document(instance: String?) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("type", string: code.type)
        writer.member("title", string: code.title)
        writer.member("status", integer: Int(code.status.code))
        if let detail { writer.member("detail", string: detail) }
        if let instance { writer.member("instance", string: instance) }
        writer.member("code", string: code.rawValue)
        for (name, value) in integerMembers { writer.member(name, unsigned: value) }
        writer.endObject()
        return writer.bytes
    }

    /// `application/problem+json`.
    public static let mediaType = "application/problem+json"
}
