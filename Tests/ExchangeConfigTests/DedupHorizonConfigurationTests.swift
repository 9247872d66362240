import ExchangeConfig
import ExchangeStore
import Testing

/// `store.dedup_horizon`: how long a repeat of a publisher's message id is recognised at least.
@Suite struct DedupHorizonConfigurationTests {
    static let tls = "server:\n  tls:\n    certificate: a.crt\n    private_key: a.key\n    client_ca: ca.crt\n"

    static func horizon(_ value: String?) throws -> Duration? {
        let yaml = Self.tls + (value.map { "store:\n  dedup_horizon: \($0)\n" } ?? "")
        return try ExchangeConfiguration.parse(yaml: yaml, path: "/etc/exchange/exchange.yaml").store.dedupHorizon
    }

    @Test func withoutTheKeyOrWithForeverRepeatsAreRecognisedForever() throws {
        #expect(try Self.horizon(nil) == nil)
        #expect(try Self.horizon("forever") == nil)
    }

    @Test(arguments: [
        ("400d", Int64(400 * 86_400)), ("52w", Int64(52 * 604_800)), ("8760h", Int64(8_760 * 3_600)), ("86400", Int64(86_400)),
        ("1d", Int64(86_400)), ("36600d", Int64(36_600 * 86_400)),
    ])
    func anAgeIsReadInSeconds(text: String, seconds: Int64) throws {
        #expect(try Self.horizon(text) == .seconds(seconds))
    }

    @Test(arguments: ["12h", "86399", "0", "-1d", "soon", "36600d1", "99999999999999d", "1.5d", "[1d]", "36601d"])
    func anythingElseIsRefusedNamingTheKey(text: String) {
        do {
            let horizon = try Self.horizon(text)
            Issue.record("\(text) was accepted as \(String(describing: horizon))")
        } catch let error as ConfigKeyError {
            #expect(error.key == "store.dedup_horizon", "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
