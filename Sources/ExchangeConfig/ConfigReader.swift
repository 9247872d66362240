import ExchangeModel
import ExchangeRouting
import Foundation

/// Reads dotted keys out of a parsed YAML document, with errors naming the file and the key.
struct ConfigReader {
    let file: String
    let root: [String: Any]
    /// The directory relative paths are resolved against.
    let base: URL

    /// Parses the YAML file at `path`.
    static func open(path: String) throws -> ConfigReader {
        let url = URL(fileURLWithPath: path)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigKeyError(file: path, key: "(file)", message: "cannot be read: \(error.localizedDescription)")
        }
        return try parse(text: text, path: path)
    }

    /// Parses YAML `text` as if read from `path`.
    static func parse(text: String, path: String) throws -> ConfigReader {
        let root: [String: Any]
        switch try document(text: text, path: path) {
        case nil: root = [:]
        case let mapping as [String: Any]: root = mapping
        default: throw ConfigKeyError(file: path, key: "(file)", message: "must be a mapping of sections")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let reader = ConfigReader(file: path, root: root, base: URL(fileURLWithPath: absolute).deletingLastPathComponent())
        return reader
    }

    /// The values of a YAML document (mappings, lists, text, numbers, booleans), or `nil` for an
    /// empty one, parsed by ExchangeRouting's `YAMLDocument` like every YAML file the exchange reads.
    /// - Parameters:
    ///   - text: the YAML document.
    ///   - path: the file, for errors.
    /// - Throws: ``ConfigKeyError`` on invalid YAML, or YAML that cannot become values.
    static func document(text: String, path: String) throws -> Any? {
        do throws(YAMLDocument.Problem) {
            return try YAMLDocument.values(text)
        } catch {
            throw ConfigKeyError(file: path, key: "(file)", message: error.message)
        }
    }

    func problem(_ key: String, _ message: String) -> ConfigKeyError {
        ConfigKeyError(file: file, key: key, message: message)
    }

    func value(_ key: String) -> Any? {
        var current: Any? = root
        for part in key.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        if current is NSNull { return nil }
        return current
    }

    /// Rejects keys the reader does not know, so that typos are not silently ignored.
    /// - Parameter known: every known dotted key; a section is known when one of its keys is.
    func rejectUnknownKeys(_ known: Set<String>) throws {
        func walk(_ mapping: [String: Any], prefix: String) throws {
            for (name, value) in mapping.sorted(by: { $0.key < $1.key }) {
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if known.contains(key) { continue }
                if let nested = value as? [String: Any], known.contains(where: { $0.hasPrefix(key + ".") }) {
                    try walk(nested, prefix: key)
                } else {
                    throw problem(key, "is not a known key")
                }
            }
        }
        try walk(root, prefix: "")
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value as? String else { throw problem(key, "must be text") }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value as? Bool else { throw problem(key, "must be true or false") }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value as? Int, range.contains(number) else {
            throw problem(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number, whole or decimal (`0.5`), within `range`.
    func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double? =
            switch value {
            case let whole as Int: Double(whole)
            case let decimal as Double where decimal.isFinite: decimal
            default: nil
            }
        guard let number, range.contains(number), !(value is Bool) else {
            throw problem(key, "must be a number from \(JSONNumber(range.lowerBound).text) to \(JSONNumber(range.upperBound).text)")
        }
        return number
    }

    /// A path, resolved against the directory of the file when relative.
    func path(_ key: String) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard !text.isEmpty else { throw problem(key, "must not be empty") }
        return resolve(text)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardized.path
    }

    /// A size: a number of bytes, or a number followed by KiB, MiB, GiB or TiB.
    func size(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        if let number = value as? Int {
            guard number > 0 else { throw problem(key, "must be greater than zero") }
            return number
        }
        let text = String(describing: value).trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Int(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 {
                let (size, overflow) = number.multipliedReportingOverflow(by: factor)
                guard !overflow else { throw problem(key, "\"\(text)\" is too large") }
                return size
            }
        }
        throw problem(key, "\"\(text)\" is not a size such as 1048576 or 1MiB")
    }

    /// A duration: a number of seconds, or a number followed by `ms`, `s`, `m` or `h`.
    func duration(_ key: String) throws -> Duration? {
        guard let value = value(key) else { return nil }
        if let seconds = value as? Int {
            guard seconds >= 0 else { throw problem(key, "\(seconds) is not a duration such as 30s, 5m or 500ms") }
            guard seconds <= 1_000_000_000 else { throw problem(key, "\(seconds) seconds is too long") }
            return .seconds(seconds)
        }
        let text = String(describing: value).trimmingCharacters(in: .whitespaces)
        let units: [(String, Duration)] = [("ms", .milliseconds(1)), ("s", .seconds(1)), ("m", .seconds(60)), ("h", .seconds(3600))]
        for (suffix, unit) in units where text.hasSuffix(suffix) {
            if let number = Int(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number >= 0 {
                // Every duration key allows at most days; a bound keeps the product from trapping.
                guard number <= 1_000_000_000 else { throw problem(key, "\"\(text)\" is too long") }
                return unit * number
            }
        }
        throw problem(key, "\"\(text)\" is not a duration such as 30s, 5m or 500ms")
    }
}
