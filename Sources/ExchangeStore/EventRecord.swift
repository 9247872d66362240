import ExchangeModel

/// The binary layout of an event in the `log` database (record version 2, written since store
/// format 5):
///
/// ```
/// u8  record version (2)
/// u64 received at, ns since the Unix epoch           ┐
/// u32 number of consumers the event was routed to    │ the header; the writer thread
/// u64 index of the event's `published` audit entry   │ fills in the time, the audit
/// u32 length of that entry (the record's last bytes) │ index and length, and the
/// route count × (u32 consumer id, u32 agreement id,  │ interned ids at commit time
///                u32 agreement version)              ┘
/// str id, source, type, topic          (u32 length + UTF-8)
/// opt subject, time, datacontenttype, dataschema   (length 0xFFFFFFFF = absent)
/// u32 extension count, then str name, str value for each, sorted by name
/// run data                              (u32 length + bytes)
/// raw the canonical `published` audit entry (its length is in the header)
/// ```
///
/// Integers are little-endian. The record holds everything its commit derived from the event:
/// the topic and inbox index entries and the audit entry (and with it the Merkle nodes) are
/// rebuilt from it, which is what lets the store write them later, in bulk (``IndexTail``).
/// Record version 1 (formats 4 and before) has only the first three header fields and no
/// audit entry; both are read.
enum EventRecord {
    static let version: UInt8 = 2
    /// The version of records written before format 5: no audit index, routes or entry.
    static let legacyVersion: UInt8 = 1

    /// Where `received at` lies in a record.
    static let receivedAtOffset = 1
    /// Where a version 2 record's audit index, audit entry length and first route lie.
    static let auditIndexOffset = 13
    static let auditLengthOffset = 21
    static let routesOffset = 25
    /// The bytes of one route in a version 2 header.
    static let routeSize = 12

    /// The bytes `encode` writes for `envelope`, so that its buffer is allocated once.
    static func encodedSize(of envelope: Envelope, routeCount: Int) -> Int {
        func run(_ text: String?) -> Int { 4 + (text?.utf8.count ?? 0) }
        var size = routesOffset + routeCount * routeSize + 4 + 4 + envelope.data.count
        size += run(envelope.id) + run(envelope.source) + run(envelope.type) + run(envelope.topic)
        size += run(envelope.subject) + run(envelope.time) + run(envelope.dataContentType) + run(envelope.dataSchema)
        for (name, value) in envelope.extensions { size += run(name) + run(value) }
        return size
    }

    /// Writes the record without its audit entry; the header's ids, audit index and length are
    /// zeros for the writer thread to fill in.
    static func encode(_ envelope: Envelope, routes: [StoredRoute], into writer: inout RecordWriter) {
        writer.write(version)
        writer.write(UInt64(0))
        writer.write(UInt32(routes.count))
        writer.write(UInt64(0))
        writer.write(UInt32(0))
        for route in routes {
            writer.write(UInt32(0))
            writer.write(UInt32(0))
            writer.write(route.agreementVersion)
        }
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
        let routeCount = try reader.readHeader().routeCount
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

/// The fixed part of a stored record, read by ``RecordReader/readHeader()``.
struct EventRecordHeader {
    var version: UInt8
    var receivedAt: UInt64
    var routeCount: UInt32
    /// The index of the event's `published` audit entry (version 2), or `nil` (version 1, whose
    /// entry lies in `audit`).
    var auditIndex: UInt64?
    /// The length of the audit entry that ends a version 2 record; 0 for version 1.
    var auditLength: Int
    /// The routes as (consumer id, agreement id, agreement version) bytes (version 2), or empty.
    var routes: UnsafeRawBufferPointer

    /// The route at `position` (version 2 only).
    func route(_ position: Int) -> (consumer: UInt32, agreement: UInt32, version: UInt32) {
        let offset = position * EventRecord.routeSize
        return (
            UInt32(littleEndian: routes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
            UInt32(littleEndian: routes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)),
            UInt32(littleEndian: routes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
        )
    }
}

extension RecordReader {
    /// Reads the header of a version 1 or 2 record, leaving the reader at the event's id.
    mutating func readHeader() throws(StoreError) -> EventRecordHeader {
        let version = try readUInt8()
        let receivedAt = try readUInt64()
        let routeCount = try readUInt32()
        switch version {
        case EventRecord.version:
            let auditIndex = try readUInt64()
            let auditLength = Int(try readUInt32())
            let routes = try readBytes(Int(routeCount) * EventRecord.routeSize)
            return EventRecordHeader(
                version: version, receivedAt: receivedAt, routeCount: routeCount, auditIndex: auditIndex, auditLength: auditLength,
                routes: routes)
        case EventRecord.legacyVersion:
            return EventRecordHeader(
                version: version, receivedAt: receivedAt, routeCount: routeCount, auditIndex: nil, auditLength: 0,
                routes: UnsafeRawBufferPointer(start: nil, count: 0))
        default:
            throw StoreError.corruptRecord("a record has version \(version); this build reads versions 1 and 2")
        }
    }
}

extension EventView {
    /// The index and canonical bytes of the event's `published` audit entry, kept in the record
    /// since format 5; `nil` for an older record, whose entry lies in `audit` alone.
    func embeddedAudit() throws(StoreError) -> (index: UInt64, entry: UnsafeRawBufferPointer)? {
        var reader = RecordReader(record)
        let header = try reader.readHeader()
        guard let index = header.auditIndex else { return nil }
        guard header.auditLength <= record.count - reader.offset else {
            throw StoreError.corruptRecord("event \(sequence) names an audit entry longer than its record")
        }
        return (index, UnsafeRawBufferPointer(rebasing: record[(record.count - header.auditLength)...]))
    }
}
