import ExchangeModel

/// The binary layout of an event in the `log` database (record version 1):
///
/// ```
/// u8  record version (1)
/// u64 received at, ns since the Unix epoch (written by the writer thread at commit time)
/// u32 number of consumers the event was routed to
/// str id, source, type, topic          (u32 length + UTF-8)
/// opt subject, time, datacontenttype, dataschema   (length 0xFFFFFFFF = absent)
/// u32 extension count, then str name, str value for each, sorted by name
/// run data                              (u32 length + bytes)
/// ```
/// Integers are little-endian. The record is self-contained: names are not interned.
enum EventRecord {
    static let version: UInt8 = 1

    /// Where `received at` lies in a record.
    static let receivedAtOffset = 1

    /// The bytes `encode` writes for `envelope`, so that its buffer is allocated once.
    static func encodedSize(of envelope: Envelope) -> Int {
        func run(_ text: String?) -> Int { 4 + (text?.utf8.count ?? 0) }
        var size = 1 + 8 + 4 + 4 + 4 + envelope.data.count
        size += run(envelope.id) + run(envelope.source) + run(envelope.type) + run(envelope.topic)
        size += run(envelope.subject) + run(envelope.time) + run(envelope.dataContentType) + run(envelope.dataSchema)
        for (name, value) in envelope.extensions { size += run(name) + run(value) }
        return size
    }

    static func encode(_ envelope: Envelope, routeCount: Int, into writer: inout RecordWriter) {
        writer.write(version)
        writer.write(UInt64(0))
        writer.write(UInt32(routeCount))
        writer.write(envelope.id)
        writer.write(envelope.source)
        writer.write(envelope.type)
        writer.write(envelope.topic)
        writer.write(envelope.subject)
        writer.write(envelope.time)
        writer.write(envelope.dataContentType)
        writer.write(envelope.dataSchema)
        writer.write(UInt32(envelope.extensions.count))
        if !envelope.extensions.isEmpty {
            for name in envelope.extensions.keys.sorted() {
                writer.write(name)
                writer.write(envelope.extensions[name]!)
            }
        }
        writer.write(envelope.data)
    }

    static func decode(sequence: UInt64, _ buffer: UnsafeRawBufferPointer) throws(StoreError) -> StoredEvent {
        let fields = try EventView(sequence: sequence, record: buffer).fields()
        func string(_ run: UnsafeRawBufferPointer) -> String { String(decoding: run, as: UTF8.self) }
        var extensions: [String: String] = [:]
        for (name, value) in fields.extensions { extensions[string(name)] = string(value) }
        let envelope = Envelope(
            id: string(fields.id), source: string(fields.source), type: string(fields.type), topic: string(fields.topic),
            subject: fields.subject.map(string), time: fields.time.map(string), dataContentType: fields.dataContentType.map(string),
            dataSchema: fields.dataSchema.map(string), extensions: extensions, data: Array(fields.data))
        return StoredEvent(sequence: sequence, receivedAt: fields.receivedAt, routeCount: Int(fields.routeCount), envelope: envelope)
    }

    /// The publisher, message id and route count of a record, for rebuilding the recent
    /// deduplication entries.
    static func identity(_ buffer: UnsafeRawBufferPointer) throws(StoreError) -> (source: String, id: String, routeCount: UInt32) {
        var reader = RecordReader(buffer)
        _ = try reader.readUInt8()
        _ = try reader.readUInt64()
        let routeCount = try reader.readUInt32()
        let id = try reader.readString()
        let source = try reader.readString()
        return (source, id, routeCount)
    }
}

/// A view of a stored event record without copying it. It points into the memory map and is
/// valid only inside the closure it was passed to; never store it. Use `decode()` for an owned `StoredEvent`.
public struct EventView {
    /// The event's sequence.
    public let sequence: UInt64
    /// The raw record bytes.
    public let record: UnsafeRawBufferPointer

    init(sequence: UInt64, record: UnsafeRawBufferPointer) {
        self.sequence = sequence
        self.record = record
    }

    /// When the exchange committed the event, in nanoseconds since the Unix epoch.
    public var receivedAt: UInt64 {
        UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
    }

    /// Decodes the whole event into owned values.
    public func decode() throws -> StoredEvent {
        try EventRecord.decode(sequence: sequence, record)
    }
}
