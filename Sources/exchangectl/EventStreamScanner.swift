import Foundation

/// Counts the top-level JSON objects of a byte stream (NDJSON, or any concatenation of objects)
/// and keeps the `sequence` attribute of the last one, without holding more than one attribute
/// value: what replay progress needs, in bounded memory whatever the stream's size.
///
/// Object boundaries are found by JSON structure, not by line breaks, so an event whose `data`
/// spans lines is still one event.
struct EventStreamScanner {
    /// Complete top-level objects seen.
    private(set) var events = 0
    /// The `sequence` of the last object that had one.
    private(set) var lastSequence: UInt64?

    private var depth = 0
    private var inString = false
    private var escaped = false
    /// At depth 1, whether the next string is a member name.
    private var expectingKey = false
    /// The current depth-1 member name or captured value, while it is read.
    private var text: [UInt8] = []
    private var readingKey = false
    private var readingSequence = false
    /// The last depth-1 member name was `sequence`, and its value is next.
    private var sequenceIsNext = false

    /// Scans more bytes of the stream.
    mutating func scan(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                    if readingKey || readingSequence { text.append(byte) }
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                    if readingKey || readingSequence { text.append(byte) }
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    endString()
                } else if (readingKey || readingSequence) && text.count < 64 {
                    text.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                text.removeAll(keepingCapacity: true)
                readingKey = depth == 1 && expectingKey
                readingSequence = depth == 1 && !expectingKey && sequenceIsNext
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { expectingKey = byte == UInt8(ascii: "{") }
                if depth == 2 { sequenceIsNext = false }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth = max(0, depth - 1)
                if depth == 0 && byte == UInt8(ascii: "}") { events += 1 }
            case UInt8(ascii: ","):
                if depth == 1 {
                    expectingKey = true
                    sequenceIsNext = false
                }
            case UInt8(ascii: ":"):
                if depth == 1 { expectingKey = false }
            default:
                break
            }
        }
    }

    private mutating func endString() {
        if readingKey {
            sequenceIsNext = text.elementsEqual("sequence".utf8)
        } else if readingSequence, let sequence = UInt64(String(decoding: text, as: UTF8.self)) {
            lastSequence = sequence
            sequenceIsNext = false
        }
        readingKey = false
        readingSequence = false
    }
}

/// The replay progress line: events so far, and how far through the log the last one is.
enum ReplayProgress {
    /// `replayed 1,234 events, sequence 5,678 of 10,000 (56.7%)`.
    /// - Parameters:
    ///   - events: events received so far.
    ///   - lastSequence: the sequence of the last one.
    ///   - firstSequence: the sequence of the first one (the start of the range).
    ///   - target: the store's last sequence when the replay began (`exchange-last-sequence`).
    static func line(events: Int, lastSequence: UInt64?, firstSequence: UInt64?, target: UInt64?) -> String {
        var line = "replayed \(grouped(UInt64(events))) event\(events == 1 ? "" : "s")"
        if let lastSequence {
            line += ", sequence \(grouped(lastSequence))"
            if let target, target > 0 {
                line += " of \(grouped(target))"
                if let percent = percent(lastSequence: lastSequence, firstSequence: firstSequence ?? 1, target: target) {
                    line += " (\(percent))"
                }
            }
        }
        return line
    }

    /// How far `lastSequence` is from `firstSequence` towards `target`, e.g. `56.7%`; `nil` when
    /// the range is empty.
    static func percent(lastSequence: UInt64, firstSequence: UInt64, target: UInt64) -> String? {
        guard target >= firstSequence else { return nil }
        let done = Double(min(lastSequence, target) - min(firstSequence, lastSequence) + 1)
        let total = Double(target - firstSequence + 1)
        let value = (done / total * 1000).rounded(.down) / 10
        return String(format: "%.1f%%", min(value, 100))
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
