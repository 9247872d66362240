import NIOCore

/// A pre-encoded structured CloudEvent whose id, key and timestamp are patched in place, so
/// the client spends a copy of the template per event and nothing else.
///
/// `data` is `{"k":"<16 digits>","t":"<20 digits>","pad":"xx…"}`, padded to `size` bytes;
/// `t` carries the publisher's monotonic clock in nanoseconds for the latency mode.
struct BenchEvent: Sendable {
    let template: [UInt8]
    let idDigits: Int
    let keyDigits: Int
    let timeDigits: Int

    static let indexWidth = 16
    static let timeWidth = 20

    /// - Parameters:
    ///   - topic: the `topic` attribute.
    ///   - size: bytes of `data`.
    ///   - run: a tag that makes ids unique across runs against one store.
    init(topic: String, size: Int, run: String) {
        let zeros16 = String(repeating: "0", count: Self.indexWidth)
        let zeros20 = String(repeating: "0", count: Self.timeWidth)
        let dataHead = #"{"k":""# + zeros16 + #"","t":""# + zeros20 + #"","pad":""#
        let dataTail = #""}"#
        let pad = String(repeating: "x", count: max(0, size - dataHead.utf8.count - dataTail.utf8.count))
        let head = #"{"specversion":"1.0","id":""# + run + "-"
        let middle = #"","type":"bench.event","topic":""# + topic + #"","datacontenttype":"application/json","data":"#
        let text = head + zeros16 + middle + dataHead + pad + dataTail + "}"
        template = Array(text.utf8)
        idDigits = head.utf8.count
        let dataStart = head.utf8.count + zeros16.utf8.count + middle.utf8.count
        keyDigits = dataStart + #"{"k":""#.utf8.count
        timeDigits = keyDigits + Self.indexWidth + #"","t":""#.utf8.count
    }

    /// The event numbered `index`, stamped with `time`.
    func buffer(index: Int, time: UInt64 = 0, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: template.count)
        write(index: index, time: time, into: &buffer)
        return buffer
    }

    /// Appends the event numbered `index`, stamped with `time`, to `buffer`.
    func write(index: Int, time: UInt64 = 0, into buffer: inout ByteBuffer) {
        let offset = buffer.readableBytes
        buffer.writeBytes(template)
        buffer.withUnsafeMutableReadableBytes { raw in
            let event = UnsafeMutableRawBufferPointer(rebasing: raw[offset...])
            Self.digits(UInt64(index), width: Self.indexWidth, into: event, at: idDigits)
            Self.digits(UInt64(index), width: Self.indexWidth, into: event, at: keyDigits)
            if time != 0 { Self.digits(time, width: Self.timeWidth, into: event, at: timeDigits) }
        }
    }

    /// A batch frame: the events numbered `indices` as one JSON array, all stamped with `time`.
    func batchBuffer(indices: Range<Int>, time: UInt64 = 0, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: indices.count * (template.count + 1) + 2)
        buffer.writeInteger(UInt8(ascii: "["))
        for index in indices {
            if index != indices.lowerBound { buffer.writeInteger(UInt8(ascii: ",")) }
            write(index: index, time: time, into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        return buffer
    }

    static func digits(_ value: UInt64, width: Int, into raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        var value = value
        var position = offset + width - 1
        while position >= offset {
            raw[position] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
            position -= 1
        }
    }
}

/// Small scans of reply and event frames, without decoding them as JSON.
enum FrameScan {
    /// The unsigned integer after `key` (for example `"index":` or `"t":"`), or nil.
    static func number(after key: StaticString, in raw: UnsafeRawBufferPointer) -> UInt64? {
        let keyBytes = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        guard let start = find(keyBytes, in: raw) else { return nil }
        var position = start + keyBytes.count
        var value: UInt64 = 0
        var seen = false
        while position < raw.count, raw[position] >= UInt8(ascii: "0"), raw[position] <= UInt8(ascii: "9") {
            value = value &* 10 &+ UInt64(raw[position] - UInt8(ascii: "0"))
            position += 1
            seen = true
        }
        return seen ? value : nil
    }

    /// Every unsigned integer after an occurrence of `key` in `raw`, in order.
    static func numbers(after key: StaticString, in raw: UnsafeRawBufferPointer) -> [UInt64] {
        let needle = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var found: [UInt64] = []
        var offset = 0
        while offset < raw.count, let hit = find(needle, in: UnsafeRawBufferPointer(rebasing: raw[offset...])) {
            if let value = number(after: key, in: UnsafeRawBufferPointer(rebasing: raw[(offset + hit)...])) { found.append(value) }
            offset += hit + needle.count
        }
        return found
    }

    /// Whether `key` occurs in `raw`.
    static func contains(_ key: StaticString, in raw: UnsafeRawBufferPointer) -> Bool {
        find(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount), in: raw) != nil
    }

    static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Int? {
        guard needle.count > 0, haystack.count >= needle.count, let first = needle.first else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}
