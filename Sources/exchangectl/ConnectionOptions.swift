import ArgumentParser
import Foundation

/// Where the exchange is and who the caller is: the options every client command shares.
///
/// A department authenticates with a client certificate: `--department D` takes
/// `PKI/clients/D.crt` and `PKI/clients/D.key` (as `exchangectl pki init` writes them), or
/// `--cert` and `--key` name the files. The portal, auditors and admins use `--token` (or the
/// `EXCHANGE_TOKEN` environment variable). The server is verified against `--ca`, by default
/// `PKI/ca.crt` when it exists, else the system's trust roots.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The exchange's base URL.")
    var url = "https://127.0.0.1:8443"

    @Option(help: "Authenticate as this department with PKI/clients/DEPARTMENT.crt and .key.")
    var department: String?

    @Option(help: "The development PKI directory (exchangectl pki init).")
    var pki = "Config/pki"

    @Option(help: "The CA certificate (PEM) that verifies the server (default: PKI/ca.crt when it exists).")
    var ca: String?

    @Option(help: "The client certificate (PEM) for mutual TLS.")
    var cert: String?

    @Option(help: "The client certificate's private key (PEM).")
    var key: String?

    @Option(help: "A bearer token secret (portal, auditor, admin); default: $EXCHANGE_TOKEN.")
    var token: String?

    /// The options resolved to files and credentials.
    /// - Parameters:
    ///   - environment: the process environment (for `EXCHANGE_TOKEN`).
    ///   - fileExists: whether a file exists (for the default CA).
    func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) throws -> Connection {
        guard let base = URL(string: url), let scheme = base.scheme?.lowercased(), scheme == "https" || scheme == "http", base.host != nil else {
            throw ValidationError("--url \(url): expected https://HOST[:PORT]")
        }
        var certificate = cert
        var privateKey = key
        if let department {
            let stem = (pki as NSString).appendingPathComponent("clients/\(department)")
            certificate = certificate ?? stem + ".crt"
            privateKey = privateKey ?? stem + ".key"
        }
        if (certificate == nil) != (privateKey == nil) {
            throw ValidationError("--cert and --key go together")
        }
        let bearer = token ?? environment["EXCHANGE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if token != nil && certificate != nil {
            throw ValidationError("use a client certificate (--department, --cert) or --token, not both")
        }
        var authority = ca
        if authority == nil {
            let candidate = (pki as NSString).appendingPathComponent("ca.crt")
            if fileExists(candidate) { authority = candidate }
        }
        if scheme == "http" && (certificate != nil || ca != nil) {
            throw ValidationError("--url \(url) is not https; certificates need https")
        }
        for path in [authority, certificate, privateKey].compactMap({ $0 }) where !fileExists(path) {
            throw ValidationError("\(path): no such file\(department != nil ? " (run make run or exchangectl pki init first)" : "")")
        }
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        return Connection(
            baseURL: text, caPath: scheme == "https" ? authority : nil, certificatePath: certificate, privateKeyPath: privateKey,
            token: certificate == nil ? bearer : nil)
    }
}

/// Resolved connection settings.
struct Connection: Equatable {
    /// The base URL without a trailing slash.
    var baseURL: String
    /// The CA certificate verifying the server; `nil` for the system trust roots.
    var caPath: String?
    /// The client certificate for mutual TLS.
    var certificatePath: String?
    /// Its private key.
    var privateKeyPath: String?
    /// The bearer token, when no client certificate is used.
    var token: String?
}
