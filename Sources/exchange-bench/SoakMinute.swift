import Foundation

/// One minute of a soak run: what the clients counted and measured in it, and the daemon's
/// memory, CPU, writer and store as sampled at its end.
struct SoakMinute: Sendable {
    /// The minute's number, from 1.
    var minute: Int
    /// Events whose publish acknowledgement arrived in the minute, and refused ones.
    var published = 0
    var publishErrors = 0
    /// Events the measured subscriber received in the minute.
    var delivered = 0
    /// Events the background subscriptions pulled, and acknowledged, in the minute.
    var pulled = 0
    var acked = 0
    /// Background pull and ack requests that failed.
    var requestErrors = 0
    /// Publish acknowledgement latency (scheduled send to answer).
    var ack: LatencySummary
    /// Publish-to-delivery latency at the measured subscriber.
    var delivery: LatencySummary
    /// Events replayed by replays that ended in the minute, and their seconds.
    var replayed = 0
    var replaySeconds = 0.0
    /// The daemon's `VmRSS`, `VmHWM`, `RssAnon` and `RssFile`, bytes; nil for `--url`.
    var memory: ProcessMemory?
    /// Cores of daemon CPU used over the minute; nil for `--url`.
    var daemonCores: Double?
    /// Share of the minute the store's writer thread was busy; nil without the counters.
    var writerBusy: Double?
    /// `data.mdb`'s size at the end of the minute, bytes; nil for `--url`.
    var storeBytes: Int?
    /// The machine's one-minute load average at the end of the minute (the cores are shared).
    var loadAverage: Double?

    /// The minute as a JSON object (latencies in milliseconds, memory in bytes).
    var dictionary: [String: Any] {
        var object: [String: Any] = [
            "minute": minute, "published": published, "publish_errors": publishErrors, "delivered": delivered,
            "pulled": pulled, "acked": acked, "request_errors": requestErrors, "replayed": replayed,
            "replay_s": EndToEndReport.round(replaySeconds),
        ]
        for (prefix, summary) in [("ack_", ack), ("", delivery)] {
            object[prefix + "p50_ms"] = EndToEndReport.round(summary.p50)
            object[prefix + "p99_ms"] = EndToEndReport.round(summary.p99)
            object[prefix + "p999_ms"] = EndToEndReport.round(summary.p999)
            object[prefix + "max_ms"] = EndToEndReport.round(summary.max)
        }
        if let memory {
            object["rss_bytes"] = memory.rss
            object["hwm_bytes"] = memory.highWater
            object["rss_anon_bytes"] = memory.anonymous
            object["rss_file_bytes"] = memory.file
        }
        if let daemonCores { object["daemon_cores"] = EndToEndReport.round(daemonCores) }
        if let writerBusy { object["writer_busy"] = EndToEndReport.round(writerBusy) }
        if let storeBytes { object["store_bytes"] = storeBytes }
        if let loadAverage { object["load_average"] = loadAverage }
        return object
    }

    /// One line of text for the minute.
    var line: String {
        func mb(_ bytes: Int?) -> String { bytes.map { String(Int((Double($0) / 1_048_576).rounded())) } ?? "-" }
        func ms(_ value: Double) -> String { String(EndToEndReport.round(value, places: 100)) }
        var text = "min \(minute): pub \(published)"
        if publishErrors > 0 { text += " (\(publishErrors) refused)" }
        text += " ack p50/p99/p99.9/max \(ms(ack.p50))/\(ms(ack.p99))/\(ms(ack.p999))/\(ms(ack.max)) ms"
        text += "; recv \(delivered) p50/p99/p99.9/max \(ms(delivery.p50))/\(ms(delivery.p99))/\(ms(delivery.p999))/\(ms(delivery.max)) ms"
        text += "; pulled \(pulled) acked \(acked)"
        if requestErrors > 0 { text += " (\(requestErrors) failed requests)" }
        if replayed > 0 { text += "; replayed \(replayed) in \(EndToEndReport.round(replaySeconds, places: 10)) s" }
        text += "; rss \(mb(memory?.rss)) MB (anon \(mb(memory?.anonymous)), hwm \(mb(memory?.highWater)))"
        if let daemonCores { text += " cpu \(EndToEndReport.round(daemonCores, places: 100))" }
        if let writerBusy { text += " writer \(Int((writerBusy * 100).rounded()))%" }
        text += " store \(mb(storeBytes)) MB"
        if let loadAverage { text += " load \(loadAverage)" }
        return text
    }
}

/// What a soak run's minutes add up to: whether memory stayed flat and latency steady.
struct SoakSummary: Equatable {
    /// `VmRSS` at the end of the first and the last minute, and the most seen, bytes.
    var firstRSS: Int?
    var lastRSS: Int?
    var maxRSS: Int?
    /// `RssAnon` (the heap, without the store's mapped pages) at the end of the first and last minute.
    var firstAnonymous: Int?
    var lastAnonymous: Int?
    /// Least-squares slope of `VmRSS`, and of `RssAnon`, over the second half of the minutes,
    /// bytes per minute; nil with fewer than two minutes there.
    var rssGrowthPerMinute: Double?
    var anonymousGrowthPerMinute: Double?
    /// The lowest and highest per-minute p99 of delivery and of publish acknowledgement, ms.
    var deliveryP99: ClosedRange<Double>?
    var ackP99: ClosedRange<Double>?
    /// Totals over the minutes.
    var published = 0
    var delivered = 0
    var pulled = 0

    init(_ minutes: [SoakMinute]) {
        let memories = minutes.compactMap(\.memory)
        firstRSS = memories.first?.rss
        lastRSS = memories.last?.rss
        maxRSS = memories.map(\.rss).max()
        firstAnonymous = memories.first?.anonymous
        lastAnonymous = memories.last?.anonymous
        let secondHalf = minutes.suffix(minutes.count - minutes.count / 2).filter { $0.memory != nil }
        rssGrowthPerMinute = Self.slope(secondHalf.map { (Double($0.minute), Double($0.memory!.rss)) })
        anonymousGrowthPerMinute = Self.slope(secondHalf.map { (Double($0.minute), Double($0.memory!.anonymous)) })
        let measured = minutes.filter { $0.delivery.count > 0 }
        if let low = measured.map(\.delivery.p99).min(), let high = measured.map(\.delivery.p99).max() { deliveryP99 = low...high }
        let acked = minutes.filter { $0.ack.count > 0 }
        if let low = acked.map(\.ack.p99).min(), let high = acked.map(\.ack.p99).max() { ackP99 = low...high }
        published = minutes.reduce(0) { $0 + $1.published }
        delivered = minutes.reduce(0) { $0 + $1.delivered }
        pulled = minutes.reduce(0) { $0 + $1.pulled }
    }

    /// The least-squares slope of `points`; nil for fewer than two distinct x.
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        var covariance = 0.0
        var variance = 0.0
        for point in points {
            covariance += (point.x - meanX) * (point.y - meanY)
            variance += (point.x - meanX) * (point.x - meanX)
        }
        return variance > 0 ? covariance / variance : nil
    }

    /// Adds the summary's fields to `report`.
    func add(to report: inout EndToEndReport) {
        func mb(_ bytes: Int) -> Double { EndToEndReport.round(Double(bytes) / 1_048_576, places: 10) }
        if let firstRSS, let lastRSS, let maxRSS {
            report.add("rss_first_mb", mb(firstRSS))
            report.add("rss_last_mb", mb(lastRSS))
            report.add("rss_max_mb", mb(maxRSS))
        }
        if let firstAnonymous, let lastAnonymous {
            report.add("rss_anon_first_mb", mb(firstAnonymous))
            report.add("rss_anon_last_mb", mb(lastAnonymous))
        }
        if let rssGrowthPerMinute { report.add("rss_growth_mb_per_min_second_half", EndToEndReport.round(rssGrowthPerMinute / 1_048_576)) }
        if let anonymousGrowthPerMinute {
            report.add("rss_anon_growth_mb_per_min_second_half", EndToEndReport.round(anonymousGrowthPerMinute / 1_048_576))
        }
        if let deliveryP99 {
            report.add("p99_ms_min", EndToEndReport.round(deliveryP99.lowerBound))
            report.add("p99_ms_max", EndToEndReport.round(deliveryP99.upperBound))
        }
        if let ackP99 {
            report.add("ack_p99_ms_min", EndToEndReport.round(ackP99.lowerBound))
            report.add("ack_p99_ms_max", EndToEndReport.round(ackP99.upperBound))
        }
        report.add("published", published)
        report.add("delivered", delivered)
        report.add("pulled", pulled)
    }
}

extension SoakMinute {
    /// The one-minute load average from `/proc/loadavg`.
    static func readLoadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}
