/// The fields of a stored event as views into its record: no copy, no string is made. Valid only
/// where the `EventView` it came from is (inside the scan closure); never store it.
public struct EventFields {
    /// When the exchange committed the event, in nanoseconds since the Unix epoch.
    public let receivedAt: UInt64
    /// How many consumers the event was routed to.
    public let routeCount: UInt32
    /// The CloudEvents attributes, as UTF-8 bytes.
    public let id, source, type, topic: UnsafeRawBufferPointer
    /// The optional attributes; `nil` when absent.
    public let subject, time, dataContentType, dataSchema: UnsafeRawBufferPointer?
    /// Extension attributes as name and value, sorted by name.
    public let extensions: [(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)]
    /// The data bytes exactly as published.
    public let data: UnsafeRawBufferPointer
}

extension EventView {
    /// The event's fields as views into the record, for encoders that write them straight out
    /// (a replay) instead of building an `Envelope` first.
    /// - Throws: `store.corrupt_record` if the record does not parse.
    public func fields() throws(StoreError) -> EventFields {
        var reader = RecordReader(record)
        let header = try reader.readHeader()
        let receivedAt = header.receivedAt
        let routeCount = header.routeCount
        let id = try reader.readRun()
        let source = try reader.readRun()
        let type = try reader.readRun()
        let topic = try reader.readRun()
        let subject = try reader.readOptionalRun()
        let time = try reader.readOptionalRun()
        let contentType = try reader.readOptionalRun()
        let schema = try reader.readOptionalRun()
        let extensionCount = try reader.readUInt32()
        var extensions: [(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)] = []
        for _ in 0..<extensionCount {
            extensions.append((try reader.readRun(), try reader.readRun()))
        }
        let data = try reader.readRun()
        guard record.count - reader.offset == header.auditLength else {
            throw StoreError.corruptRecord(
                "event \(sequence) has \(record.count - reader.offset) bytes after its data; its header names \(header.auditLength)")
        }
        return EventFields(
            receivedAt: receivedAt, routeCount: routeCount, id: id, source: source, type: type, topic: topic, subject: subject, time: time,
            dataContentType: contentType, dataSchema: schema, extensions: extensions, data: data)
    }

    /// The event's topic, read without the rest of the record: for filters that skip most
    /// events.
    public func topic() throws(StoreError) -> String {
        String(decoding: try publisherAndTopicRuns().topic, as: UTF8.self)
    }

    /// The UTF-8 bytes of the event's publisher and topic, inside the record (valid while the
    /// view is): what an agreement's route check needs, without the rest of the record.
    public func publisherAndTopicRuns() throws(StoreError) -> (source: UnsafeRawBufferPointer, topic: UnsafeRawBufferPointer) {
        var reader = RecordReader(record)
        _ = try reader.readHeader()
        _ = try reader.readRun()
        let source = try reader.readRun()
        _ = try reader.readRun()
        return (source, try reader.readRun())
    }
}
