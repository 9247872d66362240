import ExchangeModel
import Yams

extension ConfigurationLoader {
    /// Reads `departments.yaml`:
    ///
    /// ```yaml
    /// departments:
    ///   - id: market-regulation            # required: the department id
    ///     name: Market Regulation Bureau   # required: the name for people
    ///     certificate:                     # required: at least one of the three
    ///       subject_cn: msa.exchange.example
    ///       san: [msa.exchange.example]    # accepted subject alternative names
    ///       sha256: ["ab12..."]            # accepted certificate fingerprints
    ///     roles: [department]              # default [department]; also portal
    /// ```
    ///
    /// A certificate identifies a department, which publishes, receives and queries the registry;
    /// the administration (`admin`) and audit (`auditor`) roles are held by bearer tokens, each
    /// apart from the other and from the departments (docs/security.md, "Separated roles").
    /// `roles` naming `auditor` or `admin` is refused with an error saying so: it used to be
    /// accepted and do nothing.
    func loadDepartments(_ file: String, errors: inout [ConfigurationError]) -> [Department]? {
        guard let text = read(file, errors: &errors) else { return nil }
        var reader = YAMLFile(file: file)
        defer { errors += reader.errors }
        guard let root = reader.compose(text),
            let top = reader.mapping(root, key: "", allowed: ["departments"]),
            let list = reader.required(top, "departments", in: "", at: root),
            let entries = reader.sequence(list, key: "departments")
        else { return nil }
        var departments: [Department] = []
        for (key, node) in entries {
            guard let mapping = reader.mapping(node, key: key, allowed: ["id", "name", "certificate", "roles"]) else { continue }
            let id = reader.required(mapping, "id", in: key, at: node).flatMap { reader.department($0, key: key + ".id") }
            let name = reader.required(mapping, "name", in: key, at: node).flatMap { reader.text($0, key: key + ".name") }
            var certificate: CertificateIdentity?
            if let certificateNode = reader.required(mapping, "certificate", in: key, at: node) {
                certificate = readCertificate(certificateNode, key: key + ".certificate", reader: &reader)
            }
            var roles: Set<Department.Role> = [.department]
            if let rolesNode = mapping["roles"], let names = reader.strings(rolesNode, key: key + ".roles") {
                roles = []
                for (roleKey, roleNode, name) in names {
                    guard let role = Department.Role(rawValue: name) else {
                        reader.fail(.invalidValue, at: roleNode, key: roleKey, "unknown role '\(name)'; expected one of \(Department.Role.certificateRoles.map(\.rawValue).joined(separator: ", "))")
                        continue
                    }
                    guard Department.Role.certificateRoles.contains(role) else {
                        reader.fail(
                            .invalidValue, at: roleNode, key: roleKey,
                            "role '\(name)' cannot be given to a department's certificate: the \(name) role is held by a bearer token "
                                + "(exchangectl token create --role \(name) --name NAME), apart from the departments; a department takes department and portal")
                        continue
                    }
                    roles.insert(role)
                }
            }
            if let id, let name, let certificate {
                departments.append(Department(id: id, name: name, certificate: certificate, roles: roles))
            }
        }
        guard reader.errors.isEmpty else { return nil }
        for issue in AgreementSet.issues(departments: departments) { reader.place(issue) }
        return reader.errors.isEmpty ? departments : nil
    }

    func readCertificate(_ node: Node, key: String, reader: inout YAMLFile) -> CertificateIdentity? {
        guard let mapping = reader.mapping(node, key: key, allowed: ["subject_cn", "san", "sha256"]) else { return nil }
        var identity = CertificateIdentity()
        if let cn = mapping["subject_cn"] {
            identity.subjectCommonName = reader.text(cn, key: key + ".subject_cn")
        }
        if let san = mapping["san"], let names = reader.strings(san, key: key + ".san") {
            identity.subjectAlternativeNames = names.map(\.2)
        }
        if let sha = mapping["sha256"], let prints = reader.strings(sha, key: key + ".sha256") {
            for (printKey, printNode, text) in prints {
                guard CertificateIdentity.isFingerprint(text) else {
                    reader.fail(.invalidValue, at: printNode, key: printKey, "'\(text)' is not a SHA-256 fingerprint (64 hex digits, ':' separators allowed)")
                    continue
                }
                identity.fingerprintsSHA256.append(CertificateIdentity.normalizeFingerprint(text))
            }
        }
        return identity
    }
}
