import Foundation

/// A process's I/O counters as `/proc/PID/io` gives them, in bytes.
///
/// `wchar` is every byte the process handed to `write(2)`, `pwrite(2)`, `writev(2)` and the
/// like, whatever the file: for a process that only writes its store (the `store` mode's own
/// process, LMDB writing with `pwrite`), the store's bytes. `writeBytes` is what the process
/// caused to be sent to the block device (accounted when it dirties page-cache pages), which
/// the kernel rounds to pages: the disk's side of write amplification. A daemon's `wchar` also
/// counts every byte it writes to its sockets, so for a daemon only `writeBytes` measures the store.
///
/// The counters cover all threads of the process. They exist on Linux kernels built with task
/// I/O accounting; elsewhere, or when the file cannot be read, ``read(pid:)`` gives nil.
struct ProcessIO: Sendable, Equatable {
    /// `rchar`: bytes handed to the process by read-like calls.
    var readCharacters: UInt64
    /// `wchar`: bytes the process passed to write-like calls.
    var writtenCharacters: UInt64
    /// `read_bytes`: bytes read from the block device on the process's behalf.
    var readBytes: UInt64
    /// `write_bytes`: bytes the process caused to be written to the block device.
    var writeBytes: UInt64
    /// `cancelled_write_bytes`: dirtied bytes that were never written (a file truncated or
    /// deleted first); already counted in ``writeBytes``.
    var cancelledWriteBytes: UInt64

    /// This process's counters; nil when unreadable.
    static func current() -> ProcessIO? { read(path: "/proc/self/io") }

    /// Another process's counters; nil when it is gone or unreadable.
    static func read(pid: Int32) -> ProcessIO? { read(path: "/proc/\(pid)/io") }

    /// The started daemon's counters; nil for `--url` or when unreadable.
    static func of(_ daemon: BenchDaemon) -> ProcessIO? { daemon.processIdentifier.flatMap(read(pid:)) }

    private static func read(path: String) -> ProcessIO? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// The counters in a `/proc/PID/io` text; nil when `wchar` or `write_bytes` is missing.
    static func parse(_ text: String) -> ProcessIO? {
        var fields: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard let number = UInt64(value) else { continue }
            fields[line[..<colon]] = number
        }
        guard let written = fields["wchar"], let writeBytes = fields["write_bytes"] else { return nil }
        return ProcessIO(
            readCharacters: fields["rchar"] ?? 0, writtenCharacters: written, readBytes: fields["read_bytes"] ?? 0,
            writeBytes: writeBytes, cancelledWriteBytes: fields["cancelled_write_bytes"] ?? 0)
    }

    /// Write volume per event from `start` to `self`: store bytes (`wchar`) and disk bytes
    /// (`write_bytes`), each divided by `events`; nil for `events` below 1.
    func perEvent(since start: ProcessIO, events: Int) -> (store: Double, disk: Double)? {
        guard events > 0 else { return nil }
        // Counters only grow; a smaller one (another process with the same id) counts as none.
        let store = Double(writtenCharacters >= start.writtenCharacters ? writtenCharacters - start.writtenCharacters : 0)
        let disk = Double(writeBytes >= start.writeBytes ? writeBytes - start.writeBytes : 0)
        return (store / Double(events), disk / Double(events))
    }
}
