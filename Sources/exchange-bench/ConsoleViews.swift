/// What `exchange-bench console` times: the console's views and the portal's data tracker, the
/// parsing of the sign-in page, and the report.
enum ConsoleViews {
    /// One timed request: a console page (with the auditor's session) or an API call (with the
    /// portal's bearer token).
    struct View: Sendable, Equatable {
        /// The report's key prefix.
        var name: String
        /// The path and query.
        var path: String
        /// Whether it is the portal's API call rather than a console page.
        var isPortalAPI: Bool
    }

    /// The subject of event `index` of the load: `subjects` subjects, each on every
    /// `subjects`-th event.
    static func subject(_ index: Int, subjects: Int) -> String {
        "S" + String(index % subjects, radix: 10).leftPadded(to: 8)
    }

    /// The views timed, in order: the overview, agreements, departments and subscriptions, the
    /// audit explorer's first page and a page filtered by subject, department and kind, one
    /// event's life page, the data tracker, and the portal's `GET /v1/audit/subjects/{subject}`.
    static func views(subject: String, department: String, kind: String, entry: UInt64) -> [View] {
        [
            View(name: "overview", path: "/console/overview", isPortalAPI: false),
            View(name: "agreements", path: "/console/agreements", isPortalAPI: false),
            View(name: "subscriptions", path: "/console/departments", isPortalAPI: false),
            View(name: "audit_first_page", path: "/console/audit", isPortalAPI: false),
            View(name: "audit_by_subject", path: "/console/audit?subject=" + subject, isPortalAPI: false),
            View(name: "audit_by_department", path: "/console/audit?department=" + department, isPortalAPI: false),
            View(name: "audit_by_kind", path: "/console/audit?kind=" + kind, isPortalAPI: false),
            View(name: "event_life", path: "/console/audit/\(entry)", isPortalAPI: false),
            View(name: "tracker", path: "/console/tracker?subject=" + subject, isPortalAPI: false),
            View(name: "portal_subject_api", path: "/v1/audit/subjects/" + subject, isPortalAPI: true),
        ]
    }

    /// The sign-in form's anti-forgery value in the sign-in page.
    static func csrf(in html: String) -> String? {
        guard let match = html.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/) else { return nil }
        return String(match.1)
    }

    /// `name=value` of the cookie `name` among `Set-Cookie` header values.
    static func cookie(_ name: String, in setCookies: [String]) -> String? {
        setCookies.first { $0.hasPrefix(name + "=") }?.split(separator: ";").first.map(String.init)
    }

    /// Adds `<view>_p50_ms` and `<view>_max_ms` per view (in order), then the slowest view, its
    /// max and whether every request of every view answered within `budgetMilliseconds`.
    static func report(_ timings: [(view: String, nanoseconds: [UInt64])], budgetMilliseconds: Double, into report: inout EndToEndReport) {
        var slowest: (view: String, max: Double)?
        for (view, samples) in timings {
            let summary = LatencySummary(nanoseconds: samples)
            report.add(view + "_p50_ms", EndToEndReport.round(summary.p50))
            report.add(view + "_max_ms", EndToEndReport.round(summary.max))
            if slowest == nil || summary.max > slowest!.max { slowest = (view, summary.max) }
        }
        report.add("slowest_view", slowest?.view ?? "")
        report.add("slowest_max_ms", EndToEndReport.round(slowest?.max ?? 0))
        report.add("all_within_budget", (slowest?.max ?? 0) < budgetMilliseconds)
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
