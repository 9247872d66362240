public import ExchangeAudit
public import ExchangeEngine
public import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Synchronization

/// Builds the console's pages from the engine's live data and renders them. Reads only what a
/// page shows, each scan bounded (``maxScan`` audit entries a page).
public struct ConsolePages: Sendable {
    /// The engine.
    public let exchange: Exchange
    /// The audit log's verifier key, when checkpoints are signed.
    public let verifier: NoteVerifier?
    /// The store's map use, a fraction from 0 to 1, when known.
    public let mapUse: @Sendable () -> Double?
    /// The engine's running totals the overview turns into rates, by ``ConsoleCounter``.
    public let counters: @Sendable () -> [ConsoleCounter: Double]
    /// The certificates in force (the server's chain, the client CAs) with their end of
    /// validity, which the overview lists when they lapse within 30 days.
    public let certificates: @Sendable () -> [(certificate: String, validity: CertificateValidity)]
    let renderer = ConsoleRenderer()
    let samples = ConsoleSamples()

    /// Most inbox entries the departments page counts for its "waiting" figures in all.
    public var lagCountBudget = 100_000

    /// Most audit entries one page view reads.
    public static let maxScan: UInt64 = 20_000
    /// Rows on one page of the audit explorer (events on one page of the data tracker).
    public static let pageSize = 50
    /// Most `agreements_changed` entries the agreements page reads for the version history.
    public static let maxAgreementChanges = 1000
    /// Most follow-up entries, and most readers, an event's life page lists.
    public static let maxLifeRows = 1000

    /// Creates the page builder.
    /// - Parameters:
    ///   - exchange: the engine.
    ///   - verifier: the audit log's verifier key.
    ///   - mapUse: the store's map use, 0 to 1.
    ///   - counters: the engine's running totals (deliveries, acknowledgements, commit time).
    ///   - certificates: the certificates in force and their end of validity.
    public init(
        exchange: Exchange, verifier: NoteVerifier?, mapUse: @escaping @Sendable () -> Double? = { nil },
        counters: @escaping @Sendable () -> [ConsoleCounter: Double] = { [:] },
        certificates: @escaping @Sendable () -> [(certificate: String, validity: CertificateValidity)] = { [] }
    ) {
        self.exchange = exchange
        self.verifier = verifier
        self.mapUse = mapUse
        self.counters = counters
        self.certificates = certificates
    }

    /// A page with one message, e.g. after sign-out or for a role that may not see a view.
    public func message(_ viewer: ConsoleViewer, title: String, text key: String, isError: Bool = false) -> String {
        var context = viewer.base(title: title, current: nil)
        context["messageText"] = viewer.language.messages[key] ?? key
        context["messageClass"] = isError ? "error" : "notice"
        return renderer.render("message", context)
    }

    /// The sign-in page.
    /// - Parameters:
    ///   - signInToken: the value of the sign-in form's anti-forgery field.
    ///   - certificateDepartment: the department whose certificate the connection presented.
    ///   - failed: whether the last attempt failed.
    ///   - signedOut: whether the reader just signed out.
    public func signIn(_ viewer: ConsoleViewer, signInToken: String, certificateDepartment: String?, failed: Bool, signedOut: Bool) -> String {
        var context = viewer.base(title: "sign_in_title", current: nil)
        context["signInToken"] = signInToken
        if let certificateDepartment { context["certificateDepartment"] = certificateDepartment }
        context["failed"] = failed
        context["signedOut"] = signedOut
        return renderer.render("signin", context)
    }

    /// The parsed audit entry at `record`, or `nil` when it does not parse.
    static func parse(_ record: AuditEntryRecord) -> JSONValue? {
        try? JSONValue.parse(record.entry)
    }

    /// A member as text: strings as they are, numbers by their text, anything else as JSON.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .number(let number)?: number.text
        case nil: ""
        case let value?: value.description
        }
    }

    /// Entries from `start` (inclusive) backwards, newest first, calling `body` for each until
    /// it returns `false` or `limit` entries were read.
    /// - Returns: the index below the last entry read (where a next page starts), and the count read.
    static func scanBackwards(
        _ exchange: Exchange, before end: UInt64, limit: UInt64, _ body: (AuditEntryRecord, JSONValue) -> Bool
    ) throws -> (next: UInt64, scanned: UInt64) {
        var upper = end
        var scanned: UInt64 = 0
        while upper > 0, scanned < limit {
            let count = min(UInt64(1000), upper, limit - scanned)
            let records = try exchange.auditEntries(from: upper - count, limit: Int(count))
            for record in records.reversed() {
                scanned += 1
                upper = record.index
                guard let entry = parse(record) else { continue }
                if !body(record, entry) { return (upper, scanned) }
            }
            if records.isEmpty { break }
        }
        return (upper, scanned)
    }
}

/// Samples of the log's counters taken when the overview is viewed (at most one a second, the
/// last 60), from which it draws rates.
final class ConsoleSamples: Sendable {
    struct Sample {
        var time: ContinuousClock.Instant
        var events: UInt64
        var audit: UInt64
        var counters: [ConsoleCounter: Double]
    }

    private let samples = Mutex<[Sample]>([])

    /// Adds a sample (unless the last is under a second old) and returns them all, oldest first.
    func record(events: UInt64, audit: UInt64, counters: [ConsoleCounter: Double], now: ContinuousClock.Instant = .now) -> [Sample] {
        samples.withLock { samples in
            if let last = samples.last, now - last.time < .seconds(1) { return samples }
            samples.append(Sample(time: now, events: events, audit: audit, counters: counters))
            if samples.count > 60 { samples.removeFirst(samples.count - 60) }
            return samples
        }
    }
}

/// A running total of the engine that the overview shows as a rate or an average.
public enum ConsoleCounter: String, Sendable, Hashable, CaseIterable {
    /// Events handed to consumers (`exchange_deliveries_total`).
    case deliveries
    /// Acknowledgements that settled a pending event (`exchange_acks_total`).
    case acks
    /// Seconds spent in group commits (`exchange_commit_duration_seconds_sum`).
    case commitSeconds
    /// Group commits (`exchange_commit_duration_seconds_count`).
    case commits
}
