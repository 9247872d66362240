import ExchangeModel

extension RFC3339 {
    /// The instant a client's timestamp names, or a 400 problem that says whether it is not a
    /// timestamp or lies outside the range instants take.
    /// - Parameters:
    ///   - text: the timestamp.
    ///   - name: the parameter or member it came from, for the message.
    package static func instant(_ text: String, name: String) throws(ProblemError) -> UInt64 {
        guard let time = RFC3339.parse(text) else {
            throw ProblemError(
                .badRequest,
                detail: RFC3339.isValid(text)
                    ? "\(name) must lie within \(RFC3339.rangeDescription)"
                    : "\(name) \"\(AuditEvent.bounded(text))\" is not an RFC 3339 timestamp")
        }
        return time
    }
}
