/// One fuzzer input: its bytes, its text, and its NUL-separated parts.
struct FuzzInput {
    /// The input as given.
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The input as UTF-8 text, invalid sequences replaced (as a server reading text would).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The first `count` NUL-separated parts; the last one takes the rest of the input, NULs and
    /// all, and missing parts are empty.
    func parts(_ count: Int) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var rest = bytes[...]
        while result.count < count - 1, let cut = rest.firstIndex(of: 0) {
            result.append(Array(rest[..<cut]))
            rest = rest[(cut + 1)...]
        }
        result.append(Array(rest))
        while result.count < count { result.append([]) }
        return result
    }
}

/// Traps with `message` unless `condition` holds: a property the fuzzer found broken.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
