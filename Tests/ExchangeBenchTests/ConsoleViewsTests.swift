import Testing

@testable import exchange_bench

/// `exchange-bench console`: the sign-in page's parsing, the views it times and its report.
@Suite struct ConsoleViewsTests {
    @Test func theSignInFormsValueAndTheCookiesAreRead() {
        let token = String(repeating: "ab", count: 32)
        let html = #"<form method="post"><input type="hidden" name="csrf" value="\#(token)"><input name="token"></form>"#
        #expect(ConsoleViews.csrf(in: html) == token)
        #expect(ConsoleViews.csrf(in: #"<input type="hidden" name="csrf" value="short">"#) == nil)
        let cookies = [
            "exchange_console_signin=s1; Path=/console; HttpOnly; Secure; SameSite=Strict",
            "exchange_console=session-2; Path=/console; Max-Age=1800; HttpOnly",
        ]
        #expect(ConsoleViews.cookie("exchange_console", in: cookies) == "exchange_console=session-2")
        #expect(ConsoleViews.cookie("exchange_console_signin", in: cookies) == "exchange_console_signin=s1")
        #expect(ConsoleViews.cookie("other", in: cookies) == nil)
    }

    @Test func everyViewIsTimedOnceWithTheSameSubject() {
        let subject = ConsoleViews.subject(500_000, subjects: 10_000)
        #expect(subject == "S00000000")
        #expect(ConsoleViews.subject(10_001, subjects: 10_000) == "S00000001")
        let views = ConsoleViews.views(subject: subject, department: "bench-consumer", kind: "agreements_changed", entry: 500_000)
        #expect(views.map(\.name) == [
            "overview", "agreements", "subscriptions", "audit_first_page", "audit_by_subject", "audit_by_department", "audit_by_kind",
            "event_life", "tracker", "portal_subject_api",
        ])
        #expect(Set(views.map(\.path)).count == views.count)
        #expect(views.filter(\.isPortalAPI).map(\.path) == ["/v1/audit/subjects/S00000000"])
        #expect(views.filter { !$0.isPortalAPI }.allSatisfy { $0.path.hasPrefix("/console/") })
        #expect(views.first { $0.name == "event_life" }?.path == "/console/audit/500000")
    }

    @Test func theReportGivesEachViewsMedianAndMaxAndTheBudgetsVerdict() {
        let millisecond: UInt64 = 1_000_000
        var report = EndToEndReport()
        ConsoleViews.report(
            [("overview", [3 * millisecond, 1 * millisecond, 2 * millisecond]), ("tracker", [5 * millisecond, 250 * millisecond])],
            budgetMilliseconds: 200, into: &report)
        let fields = Dictionary(report.fields.map { ($0.0, "\($0.1)") }, uniquingKeysWith: { _, last in last })
        #expect(report.fields.map(\.0) == [
            "overview_p50_ms", "overview_max_ms", "tracker_p50_ms", "tracker_max_ms", "slowest_view", "slowest_max_ms", "all_within_budget",
        ])
        #expect(fields["overview_p50_ms"] == "2.0")
        #expect(fields["overview_max_ms"] == "3.0")
        #expect(fields["tracker_max_ms"] == "250.0")
        #expect(fields["slowest_view"] == "tracker")
        #expect(fields["all_within_budget"] == "false")
        var within = EndToEndReport()
        ConsoleViews.report([("overview", [3 * millisecond])], budgetMilliseconds: 200, into: &within)
        #expect(within.fields.last.map { "\($0.1)" } == "true")
    }
}
