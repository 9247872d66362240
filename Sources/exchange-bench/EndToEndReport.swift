import Foundation
import Synchronization

/// Prints an end-to-end result: one sorted JSON object with `--json`, otherwise `key: value`
/// lines in the order given. A figure that could not be measured is `NSNull`: null in JSON,
/// `n/a` in text.
struct EndToEndReport {
    var fields: [(String, Any)] = []

    mutating func add(_ key: String, _ value: Any) {
        fields.append((key, value))
    }

    /// Adds `p50_ms`, `p99_ms`, `p999_ms`, `max_ms` (with `prefix`, e.g. `ack_`).
    mutating func add(_ summary: LatencySummary, prefix: String = "") {
        add(prefix + "p50_ms", Self.round(summary.p50))
        add(prefix + "p99_ms", Self.round(summary.p99))
        add(prefix + "p999_ms", Self.round(summary.p999))
        add(prefix + "max_ms", Self.round(summary.max))
    }

    static func round(_ value: Double, places: Double = 1000) -> Double { (value * places).rounded() / places }

    /// `value`, or `NSNull` (null in JSON, `n/a` in text) for a figure that could not be measured.
    static func orNull(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }

    func print(json: Bool) throws {
        if json {
            let object = Dictionary(fields, uniquingKeysWith: { _, last in last })
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            Swift.print(String(decoding: data, as: UTF8.self))
        } else {
            for (key, value) in fields { Swift.print("\(key): \(value is NSNull ? "n/a" : "\(value)")") }
        }
    }
}

/// A run tag that keeps event ids unique across runs against one store.
func benchRunTag() -> String {
    "b" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
}

/// A fixed array of timestamps shared by the sender and the reader of one connection: the
/// sender writes slot i before sending frame i, the reader reads it after frame i's reply.
final class SendTimes: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<UInt64>

    init(count: Int) {
        slots = .allocate(capacity: max(1, count))
        slots.initialize(repeating: 0)
    }

    deinit { slots.deallocate() }
}

/// A value shared between tasks behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}
