@testable import ExchangeServer
import Testing

/// A console form is known by the path the router reads, however the request target spells
/// it: otherwise an anonymous client reaches the sign-in form under the long body deadline and
/// is never evicted.
@Suite struct ConsoleTargetTests {
    @Test(arguments: [
        "/console/signin", "/console/signout", "/console/departments/redrive", "/console/signin?next=%2Fconsole",
        "https://exchange.example/console/signin", "http://127.0.0.1:8443/console/signin", "//console/signin",
        "///console//signin", "/Console/signin", "/CONSOLE/signin",
    ])
    func consoleTargets(_ target: String) {
        #expect(HTTPRequestGuard.targetsConsole(target), "\(target)")
    }

    @Test(arguments: ["/v1/events", "/", "", "*", "/consoles/signin", "/v1/console/signin", "https://console/v1/events", "/healthz"])
    func otherTargets(_ target: String) {
        #expect(!HTTPRequestGuard.targetsConsole(target), "\(target)")
    }
}
