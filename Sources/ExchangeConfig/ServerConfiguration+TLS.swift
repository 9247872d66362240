public import NIOSSL

extension ServerConfiguration {
    /// The server TLS configuration: the certificate chain and key, the client CA as the only
    /// trust root, TLS 1.2 at least, and client certificates optional (verified when presented)
    /// or required according to ``requireClientCertificate``.
    /// - Throws: ``ConfigKeyError`` naming the key whose file cannot be read.
    public func makeTLSConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigKeyError(file: certificatePath, key: "server.tls.certificate", message: "is not a readable PEM certificate chain: \(error)")
        }
        guard !chain.isEmpty else {
            throw ConfigKeyError(file: certificatePath, key: "server.tls.certificate", message: "holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw ConfigKeyError(file: privateKeyPath, key: "server.tls.private_key", message: "is not a readable PEM private key: \(error)")
        }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(clientCAPath)
        } catch {
            throw ConfigKeyError(file: clientCAPath, key: "server.tls.client_ca", message: "is not a readable PEM certificate file: \(error)")
        }
        guard !roots.isEmpty else {
            throw ConfigKeyError(file: clientCAPath, key: "server.tls.client_ca", message: "holds no certificate")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(roots)
        tls.sendCANameList = true
        tls.certificateVerification = requireClientCertificate ? .noHostnameVerification : .optionalVerification
        return tls
    }
}
