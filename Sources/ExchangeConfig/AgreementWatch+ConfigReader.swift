import ExchangeEngine

extension AgreementWatch.Configuration {
    /// The keys of the `agreements` section.
    static let keys: Set<String> = ["agreements.expiry_warning_days", "agreements.check_interval"]

    /// Reads the `agreements` section: when the daemon reports agreements coming into force,
    /// lapsing, and about to lapse (see `Exchange.checkAgreementStandings`):
    /// - `agreements.expiry_warning_days`: days before an agreement's `valid_until` at which
    ///   it is reported as expiring (an `agreement_expiring` audit entry and a warning log
    ///   line); `0` never warns (default 14; 0-3650);
    /// - `agreements.check_interval`: the longest between two checks of the agreements'
    ///   windows, a duration; the daemon also wakes at each `valid_from` and `valid_until`
    ///   due (default 60s; 1s to 1h).
    init(reader: ConfigReader) throws {
        let defaults = Self()
        let interval = try reader.duration("agreements.check_interval")
        if let interval, interval < .seconds(1) || interval > .seconds(3600) {
            throw reader.problem("agreements.check_interval", "must be from 1s to 1h")
        }
        self.init(
            expiryWarningDays: try reader.integer("agreements.expiry_warning_days", in: 0...3650) ?? defaults.expiryWarningDays,
            checkInterval: interval ?? defaults.checkInterval)
    }
}
