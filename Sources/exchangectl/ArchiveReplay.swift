import ExchangeModel
import ExchangeWire

/// The archived events of a replay's range, merged across topics in sequence order, read one
/// segment per topic at a time: what `exchangectl replay --archive` writes before and between
/// the live store's events.
struct ArchiveReplay {
    /// Per topic the archive holds: the last sequence it holds.
    let archivedThrough: [String: UInt64]
    private var cursors: [Cursor]
    private let reader: ArchiveReader
    private let fromSequence: UInt64
    private let fromTime: UInt64?
    private let until: UInt64?

    private struct Cursor {
        var segments: ArraySlice<ArchiveReader.Segment>
        var lines: [(sequence: UInt64, line: [UInt8])] = []
        var position = 0
    }

    /// Opens the archive's segments of the topics `pattern` matches (all when `nil`).
    init(directory: String, pattern: TopicPattern?, fromSequence: UInt64, fromTime: UInt64?, until: UInt64?) throws {
        reader = ArchiveReader(directory: directory)
        self.fromSequence = fromSequence
        self.fromTime = fromTime
        self.until = until
        var through: [String: UInt64] = [:]
        var cursors: [Cursor] = []
        do {
            for topic in try reader.topics() where pattern?.matches(name: topic) ?? true {
                let segments = try reader.segments(topic: topic)
                guard let last = segments.last else { continue }
                through[topic] = last.manifest.lastSequence
                cursors.append(Cursor(segments: ArraySlice(segments.filter { $0.manifest.lastSequence >= fromSequence })))
            }
        } catch let failure as ArchiveReadError {
            throw ClientFailure(code: failure.code, detail: failure.detail)
        }
        archivedThrough = through
        self.cursors = cursors
    }

    /// The next archived event in sequence order whose sequence is below `limit`, as its line
    /// (without the newline); `nil` when there is none.
    mutating func next(below limit: UInt64 = .max) throws -> [UInt8]? {
        var best: (cursor: Int, sequence: UInt64)?
        for index in cursors.indices {
            guard let sequence = try head(index) else { continue }
            if best.map({ sequence < $0.sequence }) ?? true { best = (index, sequence) }
        }
        guard let best, best.sequence < limit else { return nil }
        let line = cursors[best.cursor].lines[cursors[best.cursor].position].line
        cursors[best.cursor].position += 1
        return line
    }

    /// The sequence of cursor `index`'s next event in range, loading segments as needed.
    private mutating func head(_ index: Int) throws -> UInt64? {
        while true {
            if cursors[index].position < cursors[index].lines.count { return cursors[index].lines[cursors[index].position].sequence }
            guard let segment = cursors[index].segments.popFirst() else { return nil }
            do {
                let (_, lines) = try reader.lines(of: segment)
                cursors[index].lines = try lines.compactMap { bytes in
                    let line = try ArchivedLine(bytes)
                    guard let sequence = line.sequence else {
                        throw ClientFailure(code: "archive.malformed", detail: "\(segment.segmentPath): a line without a sequence")
                    }
                    let received = line.attributes["receivedat"].flatMap(RFC3339.parse)
                    if let fromTime, (received ?? 0) < fromTime { return nil }
                    if let until, (received ?? .max) > until { return nil }
                    guard sequence >= fromSequence else { return nil }
                    return (sequence, Array(bytes))
                }
                cursors[index].position = 0
            } catch let failure as ArchiveReadError {
                throw ClientFailure(code: failure.code, detail: failure.detail)
            } catch let failure as ArchiveLineError {
                throw ClientFailure(code: "archive.malformed", detail: "\(segment.segmentPath): \(failure.message)")
            }
        }
    }

    /// The topic and sequence of a live replay line (the first `"topic":"` and `"sequence":"`
    /// members: the exchange writes them before any extension and the data).
    static func identity(of line: some Collection<UInt8>) -> (topic: String, sequence: UInt64)? {
        let bytes = Array(line)
        func member(_ name: String) -> String? {
            let key = Array("\"\(name)\":\"".utf8)
            guard bytes.count >= key.count else { return nil }
            var start = 0
            while start + key.count <= bytes.count {
                if bytes[start..<(start + key.count)].elementsEqual(key) {
                    let from = start + key.count
                    guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                    return String(decoding: bytes[from..<end], as: UTF8.self)
                }
                start += 1
            }
            return nil
        }
        guard let topic = member("topic"), let sequence = member("sequence").flatMap({ UInt64($0) }) else { return nil }
        return (topic, sequence)
    }
}
