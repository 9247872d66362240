@testable import ExchangeServer
import Testing

@Suite struct BearerSecretTests {
    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER  abc  ", "abc"), ("  Bearer\tabc", "abc"),
        ("Bearer a b", "a b"),
    ])
    func readsTheSecretOfABearerHeader(_ header: String, _ secret: String) {
        #expect(AuthenticationMiddleware.bearerSecret(header) == secret)
    }

    @Test(arguments: ["", "Bearer", "Bearer   ", "Bearerabc", "Basic abc", "xbearer abc", "Bear abc"])
    func refusesAnythingElse(_ header: String) {
        #expect(AuthenticationMiddleware.bearerSecret(header) == nil)
    }
}
