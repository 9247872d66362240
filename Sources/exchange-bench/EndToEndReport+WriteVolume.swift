import Foundation

extension EndToEndReport {
    /// Adds the daemon's write volume per event over a measured span: `disk_bytes_per_event`,
    /// the growth of its `write_bytes` (`/proc/PID/io`) from `start` to `end` over `events`,
    /// and `store_bytes_per_event` as null, since the daemon's `wchar` also counts its socket
    /// writes. With `prefix` (e.g. `quiet_`) the keys carry it. A figure that cannot be read
    /// (`--url`, a kernel without I/O accounting) is null in JSON and `n/a` in text.
    mutating func addDaemonWriteVolume(from start: ProcessIO?, to end: ProcessIO?, events: Int, prefix: String = "") {
        let perEvent = start.flatMap { start in end?.perEvent(since: start, events: events) }
        add(prefix + "store_bytes_per_event", NSNull())
        add(prefix + "disk_bytes_per_event", Self.orNull(perEvent.map { Self.round($0.disk, places: 10) }))
    }

    /// Adds the write volume per event of work done in this process (the store opened
    /// directly): `store_bytes_per_event` from `wchar`, `disk_bytes_per_event` from
    /// `write_bytes`; null when unreadable.
    mutating func addOwnWriteVolume(from start: ProcessIO?, to end: ProcessIO?, events: Int, prefix: String = "") {
        let perEvent = start.flatMap { start in end?.perEvent(since: start, events: events) }
        add(prefix + "store_bytes_per_event", Self.orNull(perEvent.map { Self.round($0.store, places: 10) }))
        add(prefix + "disk_bytes_per_event", Self.orNull(perEvent.map { Self.round($0.disk, places: 10) }))
    }
}

extension EndToEndReport {
    /// What `--help` says of the write volume of the end-to-end modes.
    static let writeVolumeHelp = """
        disk_bytes_per_event: the growth of the started daemon's write_bytes (/proc/PID/io, what \
        reached the block device) over the measured phase, divided by the events published. \
        store_bytes_per_event is null against a daemon: its wchar also counts socket writes. Both \
        are null with --url or where /proc/PID/io cannot be read.
        """
}
