import Foundation

/// A process's memory as `/proc/PID/status` gives it, in bytes.
///
/// `VmRSS` counts the store's memory-mapped pages that the process has touched (`RssFile`)
/// beside its heap (`RssAnon`): LMDB reads through its map, so `VmRSS` follows what was read
/// and the kernel keeps, while `RssAnon` is what the daemon itself holds.
struct ProcessMemory: Sendable, Equatable {
    /// `VmRSS`: resident now.
    var rss: Int
    /// `VmHWM`: the most resident so far.
    var highWater: Int
    /// `RssAnon`: resident anonymous memory (heap, stacks).
    var anonymous: Int
    /// `RssFile`: resident file-backed pages (the store's map, the executable).
    var file: Int

    /// Reads the process's status; nil when it is gone or unreadable.
    static func read(pid: Int32) -> ProcessMemory? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return parse(status: text)
    }

    /// The figures in a `/proc/PID/status` text; nil when `VmRSS` is missing.
    static func parse(status text: String) -> ProcessMemory? {
        var fields: [Substring: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            guard name == "VmRSS" || name == "VmHWM" || name == "RssAnon" || name == "RssFile" else { continue }
            let parts = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let value = parts.first.flatMap({ Int($0) }) else { continue }
            let unit = parts.count > 1 ? parts[1].lowercased() : "b"
            fields[name] = value * (unit == "kb" ? 1024 : unit == "mb" ? 1_048_576 : 1)
        }
        guard let rss = fields["VmRSS"] else { return nil }
        return ProcessMemory(rss: rss, highWater: fields["VmHWM"] ?? rss, anonymous: fields["RssAnon"] ?? 0, file: fields["RssFile"] ?? 0)
    }
}
