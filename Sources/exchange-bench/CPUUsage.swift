import Foundation

/// CPU time used so far by this process and by the daemon it started: the cost per event,
/// which, unlike throughput, hardly changes when other work shares the machine.
struct CPUUsage {
    /// This process's user and system time, in nanoseconds.
    var client: UInt64
    /// The started daemon's user and system time, in nanoseconds; nil for `--url`.
    var server: UInt64?

    /// Reads both now.
    static func now(daemon: BenchDaemon) -> CPUUsage {
        CPUUsage(client: selfNanoseconds(), server: daemon.processIdentifier.flatMap(processNanoseconds))
    }

    /// Adds `client_cpu_us_per_event` and, for a started daemon, `server_cpu_us_per_event`:
    /// the CPU time spent from `start` to `self` divided by `events`.
    func report(since start: CPUUsage, events: Int, into report: inout EndToEndReport) {
        guard events > 0 else { return }
        report.add("client_cpu_us_per_event", EndToEndReport.round(Double(client &- start.client) / 1e3 / Double(events)))
        if let server, let before = start.server {
            report.add("server_cpu_us_per_event", EndToEndReport.round(Double(server &- before) / 1e3 / Double(events)))
        }
    }

    private static func selfNanoseconds() -> UInt64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func nanoseconds(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1_000 }
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }

    /// utime + stime of another process from `/proc/PID/stat` (fields 14 and 15, in clock ticks).
    private static func processNanoseconds(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name, which may itself hold spaces: field 3 is first.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return (user + system) * (1_000_000_000 / ticks)
    }
}
