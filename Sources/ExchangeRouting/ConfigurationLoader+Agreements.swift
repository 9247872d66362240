import ExchangeModel
import Foundation
import Yams

extension ConfigurationLoader {
    /// The keys of an agreement file.
    static let agreementKeys: Set<String> = [
        "id", "version", "title", "provider", "consumers", "topics", "fields", "match", "purpose",
        "legal_basis", "valid_from", "valid_until", "status",
    ]

    /// Reads one agreement file:
    ///
    /// ```yaml
    /// id: msa-tax-business-licences     # required: 1-128 ASCII letters, digits, '-', '_', '.'
    /// version: 3                        # required: raise it whenever the terms change
    /// title: Business licences for tax registration   # required
    /// provider: market-regulation       # required: owns every topic the patterns cover
    /// consumers: [tax-bureau]           # required: at least one
    /// topics: [licence.business.>]      # required: NATS-style patterns, '*' and '>'
    /// fields: [/licence_no, /holder]    # optional: JSON Pointers; absent = all fields
    /// match: {data: {city: [Hangzhou]}} # optional: content pattern (see ContentPattern)
    /// purpose: ...                      # required
    /// legal_basis: ...                  # required
    /// valid_from: 2026-01-01T00:00:00+08:00   # required: RFC 3339, or a date (midnight UTC)
    /// valid_until: 2027-01-01           # optional: excluded end; absent = open-ended
    /// status: active                    # required: active, suspended or revoked
    /// ```
    /// - Returns: the agreement id if the file names one, and the agreement when every required
    ///   key could be read, so that it can still be checked against departments and topics; the
    ///   caller refuses it when `reader` holds errors.
    func readAgreement(_ file: String, reader: inout YAMLFile) -> (String?, Agreement?) {
        var readErrors: [ConfigurationError] = []
        guard let text = read(file, errors: &readErrors) else {
            reader.errors += readErrors
            return (nil, nil)
        }
        guard let root = reader.compose(text),
            let mapping = reader.mapping(root, key: "", allowed: Self.agreementKeys)
        else { return (nil, nil) }
        func required(_ name: String) -> Node? { reader.required(mapping, name, in: "", at: root) }

        let id = required("id").flatMap { reader.text($0, key: "id") }
        let version = required("version").flatMap { reader.int($0, key: "version") }
        let title = required("title").flatMap { reader.text($0, key: "title") }
        let provider = required("provider").flatMap { reader.department($0, key: "provider") }
        var consumers: [DepartmentID]?
        if let node = required("consumers"), let list = reader.sequence(node, key: "consumers") {
            consumers = list.compactMap { reader.department($0.1, key: $0.0) }
        }
        var topics: [TopicPattern]?
        if let node = required("topics"), let list = reader.strings(node, key: "topics") {
            topics = []
            for (key, element, text) in list {
                if let problem = TopicPattern.syntaxError(text) {
                    reader.fail(.invalidValue, at: element, key: key, "'\(text)' is not a valid topic pattern: \(problem)")
                } else if let pattern = TopicPattern(text) {
                    topics?.append(pattern)
                }
            }
        }
        var fields: [JSONPointer]?
        if let node = mapping["fields"], let list = reader.sequence(node, key: "fields") {
            fields = list.compactMap { reader.pointer($0.1, key: $0.0) }
        }
        var match: ContentPattern?
        if let node = mapping["match"], let json = reader.json(node, key: "match") {
            do {
                match = try ContentPattern(json)
            } catch {
                let key = error.path.isEmpty ? "match" : "match." + error.path
                let mark = reader.mark(for: key)
                reader.errors.append(ConfigurationError(
                    .invalidPattern, file: file, line: mark?.line, column: mark?.column, key: key, message: error.message))
            }
        }
        let purpose = required("purpose").flatMap { reader.text($0, key: "purpose") }
        let legalBasis = required("legal_basis").flatMap { reader.text($0, key: "legal_basis") }
        let validFrom = required("valid_from").flatMap { readInstant($0, key: "valid_from", reader: &reader) }
        var validUntil: Date?
        var validUntilFailed = false
        if let node = mapping["valid_until"] {
            validUntil = readInstant(node, key: "valid_until", reader: &reader)
            validUntilFailed = validUntil == nil
        }
        var status: Agreement.Status?
        if let node = required("status"), let text = reader.text(node, key: "status") {
            status = Agreement.Status(rawValue: text)
            if status == nil {
                reader.fail(.invalidValue, at: node, key: "status", "unknown status '\(text)'; expected active, suspended or revoked")
            }
        }
        guard let id, let version, let title, let provider, let consumers, let topics, let purpose,
            let legalBasis, let validFrom, let status, !validUntilFailed
        else { return (id, nil) }
        let agreement = Agreement(
            id: id, version: version, title: title, provider: provider, consumers: consumers, topics: topics,
            fields: fields, match: match, purpose: purpose, legalBasis: legalBasis, validFrom: validFrom,
            validUntil: validUntil, status: status)
        return (id, agreement)
    }

    func readInstant(_ node: Node, key: String, reader: inout YAMLFile) -> Date? {
        guard let text = reader.text(node, key: key) else { return nil }
        guard let date = RFC3339.date(text) else {
            reader.fail(.invalidValue, at: node, key: key, "'\(text)' is not an RFC 3339 timestamp (2026-01-01T00:00:00+08:00) or a date (2026-01-01)")
            return nil
        }
        return date
    }
}
