import Foundation

/// Where a client finds the exchange and who it is, as a client configuration file states it
/// (`exchangectl` reads `$EXCHANGE_CLIENT_CONFIG`, `--client-config`, or
/// `~/.config/exchange/client.yaml`). Every field is optional; relative paths are resolved
/// against the file's directory.
///
/// ```yaml
/// url: https://exchange.gov.example:8443
/// department: tax-bureau        # PKI/clients/tax-bureau.crt and .key
/// pki: /etc/exchange/pki
/// ca: /etc/exchange/pki/ca.crt
/// # or: cert: ..., key: ...; or token_file: ~/.config/exchange/token
/// ```
public struct ClientConfiguration: Sendable, Equatable {
    /// The exchange's base URL.
    public var url: String?
    /// The department whose certificate and key under ``pki`` to present.
    public var department: String?
    /// The PKI directory (`ca.crt`, `clients/DEPARTMENT.crt` and `.key`).
    public var pki: String?
    /// The CA certificate that verifies the server.
    public var ca: String?
    /// The client certificate.
    public var cert: String?
    /// The client certificate's private key.
    public var key: String?
    /// A file holding a bearer token secret (its first line).
    public var tokenFile: String?

    /// Creates a configuration; every field defaults to none.
    public init(
        url: String? = nil, department: String? = nil, pki: String? = nil, ca: String? = nil, cert: String? = nil, key: String? = nil,
        tokenFile: String? = nil
    ) {
        self.url = url
        self.department = department
        self.pki = pki
        self.ca = ca
        self.cert = cert
        self.key = key
        self.tokenFile = tokenFile
    }
}
