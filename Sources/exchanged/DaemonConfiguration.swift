import ExchangeStore
import Foundation
import Logging
import Yams

/// The daemon's configuration file, as read by `exchanged --config PATH`.
///
/// Keys (every one documented in Config/README.md):
/// - `store.directory`, `store.initial_map_size`, `store.max_map_size`,
///   `store.max_batch_operations`, `store.max_readers`
/// - `log.level`
struct DaemonConfiguration {
    var store: StoreConfiguration
    var logLevel: Logger.Level

    /// A configuration problem, naming the file and the key.
    struct Problem: Error, CustomStringConvertible {
        let file: String
        let key: String
        let message: String
        var description: String { "\(file): \(key): \(message)" }
    }

    /// Reads and validates the file at `path`.
    static func load(path: String) throws -> DaemonConfiguration {
        let url = URL(fileURLWithPath: path)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw Problem(file: path, key: "(file)", message: "cannot be read: \(error.localizedDescription)")
        }
        let root: [String: Any]
        do {
            root = (try Yams.load(yaml: text) as? [String: Any]) ?? [:]
        } catch {
            throw Problem(file: path, key: "(file)", message: "is not valid YAML: \(error)")
        }
        let base = url.deletingLastPathComponent()
        let reader = SectionReader(file: path, root: root)
        let directory = try reader.string("store.directory") ?? "data"
        let resolved = directory.hasPrefix("/") ? directory : base.appendingPathComponent(directory).standardized.path
        let defaults = StoreConfiguration(directory: resolved)
        let initial = try reader.size("store.initial_map_size") ?? defaults.initialMapSize
        let maximum = try reader.size("store.max_map_size") ?? defaults.maxMapSize
        guard maximum >= initial else {
            throw Problem(file: path, key: "store.max_map_size", message: "must be at least store.initial_map_size")
        }
        let store = StoreConfiguration(
            directory: resolved, initialMapSize: initial, maxMapSize: maximum,
            maxBatchOperations: try reader.integer("store.max_batch_operations", in: 1...1_000_000) ?? defaults.maxBatchOperations,
            maxReaders: UInt32(try reader.integer("store.max_readers", in: 8...100_000) ?? Int(defaults.maxReaders)))
        var level = Logger.Level.info
        if let text = try reader.string("log.level") {
            guard let parsed = Logger.Level(rawValue: text) else {
                throw Problem(file: path, key: "log.level", message: "\"\(text)\" is not one of trace, debug, info, notice, warning, error, critical")
            }
            level = parsed
        }
        return DaemonConfiguration(store: store, logLevel: level)
    }
}

/// Reads dotted keys out of the parsed YAML, with errors that name the key.
struct SectionReader {
    let file: String
    let root: [String: Any]

    func value(_ key: String) -> Any? {
        var current: Any? = root
        for part in key.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value as? String else {
            throw DaemonConfiguration.Problem(file: file, key: key, message: "must be text")
        }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value as? Int, range.contains(number) else {
            throw DaemonConfiguration.Problem(file: file, key: key, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A size: a number of bytes, or a number followed by KiB, MiB, GiB or TiB.
    func size(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        if let number = value as? Int, number > 0 { return number }
        let text = String(describing: value).trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Int(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 {
                return number * factor
            }
        }
        throw DaemonConfiguration.Problem(file: file, key: key, message: "\"\(text)\" is not a size such as 1073741824 or 1GiB")
    }
}
