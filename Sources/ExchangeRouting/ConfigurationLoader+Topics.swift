import ExchangeModel
import Yams

extension ConfigurationLoader {
    /// Reads `topics.yaml`:
    ///
    /// ```yaml
    /// topics:
    ///   - name: licence.business.issued    # required: a dotted topic name, no wildcards
    ///     owner: market-regulation         # required: the only department that may publish
    ///     key: /licence_no                 # required: JSON Pointer to the entity key in data
    ///     registry: licences               # optional: the registry collection it feeds
    ///     description: ...                 # optional
    ///     schema: {type: object, ...}      # optional: a JSON Schema the data must satisfy
    ///     retention: {max_age: 90d, max_events: 1000000}  # optional: how long events stay
    ///     archive: true                    # optional: archive expired events before removal
    /// default_retention: {max_age: 365d}   # optional: retention of topics that name none
    ///     catalogue: {...}                 # optional: the catalogue entry (``readCatalogue``)
    /// registries:                          # optional: the registry collections topics feed
    ///   - name: licences                   # required: letters, digits, '-' and '_'
    ///     holder: /holder/credit_code      # optional JSON Pointers into the data: the holder
    ///     type: /licence_type              #   identifier, the licence type, and the first and
    ///     valid_from: /valid_from          #   last day of validity (RFC 3339 date or date-time)
    ///     valid_until: /valid_until
    /// ```
    ///
    /// A topic's `registry` names a collection of `registries`; a name declared nowhere is a
    /// collection without indexed fields (entries by key only), as before `registries` existed.
    func loadTopics(_ file: String, departments: [Department], errors: inout [ConfigurationError]) -> [TopicDefinition]? {
        guard let text = read(file, errors: &errors) else { return nil }
        var reader = YAMLFile(file: file)
        defer { errors += reader.errors }
        guard let root = reader.compose(text),
            let top = reader.mapping(root, key: "", allowed: ["topics", "registries", "default_retention"]),
            let list = reader.required(top, "topics", in: "", at: root),
            let entries = reader.sequence(list, key: "topics")
        else { return nil }
        let collections = top["registries"].map { loadRegistries($0, reader: &reader) } ?? [:]
        let defaultRetention = top["default_retention"].flatMap { loadRetention($0, key: "default_retention", reader: &reader) }
        var topics: [TopicDefinition] = []
        for (key, node) in entries {
            guard let mapping = reader.mapping(node, key: key, allowed: ["name", "owner", "key", "registry", "schema", "description", "retention", "catalogue", "archive"]) else { continue }
            var name: Topic?
            if let nameNode = reader.required(mapping, "name", in: key, at: node), let text = reader.text(nameNode, key: key + ".name") {
                if let error = Topic.validationError(text) {
                    reader.fail(.invalidValue, at: nameNode, key: key + ".name", "'\(text)' is not a valid topic name: \(error)")
                } else {
                    name = Topic(text)
                }
            }
            let owner = reader.required(mapping, "owner", in: key, at: node).flatMap { reader.department($0, key: key + ".owner") }
            let pointer = reader.required(mapping, "key", in: key, at: node).flatMap { reader.pointer($0, key: key + ".key") }
            let registryNode = mapping["registry"]
            let registry = registryNode.flatMap { reader.text($0, key: key + ".registry") }
            if let registry, !RegistryCollection.isValidName(registry) {
                reader.fail(.invalidValue, at: registryNode, key: key + ".registry", "'\(registry)' is not a valid collection name: 1 to 64 letters, digits, '-' and '_'")
            }
            let description = mapping["description"].flatMap { reader.text($0, key: key + ".description") }
            var schema: JSONValue?
            if let schemaNode = mapping["schema"] {
                schema = reader.json(schemaNode, key: key + ".schema")
                if let value = schema, case .object = value {
                    do throws(JSONSchemaError) {
                        _ = try JSONSchema(value)
                    } catch {
                        reader.fail(.invalidValue, at: schemaNode, key: key + ".schema" + error.path.split(separator: "/").map { "." + $0 }.joined(), error.message)
                    }
                } else if schema != nil {
                    reader.fail(.wrongType, at: schemaNode, key: key + ".schema", "a JSON Schema must be a mapping")
                }
            }
            let retention = mapping["retention"].map { loadRetention($0, key: key + ".retention", reader: &reader) } ?? defaultRetention
            let archive = mapping["archive"].flatMap { reader.bool($0, key: key + ".archive") } ?? false
            let topicName = name?.rawValue ?? key
            let catalogue = mapping["catalogue"].flatMap { readCatalogue($0, key: key + ".catalogue", topic: topicName, reader: &reader) }
            if let name, let owner, let pointer {
                var topic = TopicDefinition(
                    name: name, owner: owner, key: pointer, registry: registry, collection: registry.flatMap { collections[$0] }, schema: schema,
                    description: description, catalogue: catalogue, retention: retention)
                topic.archive = archive
                topics.append(topic)
            }
        }
        var codes: [String: Topic] = [:]
        for topic in topics {
            guard let code = topic.catalogue?.resourceCode else { continue }
            if let other = codes.updateValue(topic.name, forKey: code) {
                let index = topics.firstIndex { $0.name == topic.name } ?? 0
                reader.fail(
                    .duplicate, at: nil, key: "topics[\(index)].catalogue.resource_code",
                    "topic '\(topic.name)': resource_code '\(code)' is already the code of topic '\(other)'")
            }
        }
        guard reader.errors.isEmpty else { return nil }
        for issue in AgreementSet.issues(topics: topics, departments: departments) { reader.place(issue) }
        return reader.errors.isEmpty ? topics : nil
    }

    /// Reads a `retention` mapping: `max_age` (a number of seconds, or a number followed by `s`,
    /// `m`, `h`, `d` or `w`; at most 100 years) and `max_events` (1 to 2^48). An empty mapping,
    /// or `retention: forever`, keeps events forever.
    private func loadRetention(_ node: Node, key: String, reader: inout YAMLFile) -> RetentionPolicy? {
        if node.scalar != nil, reader.text(node, key: key) == "forever" { return RetentionPolicy() }
        guard let mapping = reader.mapping(node, key: key, allowed: ["max_age", "max_events"]) else { return nil }
        var policy = RetentionPolicy()
        if let ageNode = mapping["max_age"] {
            let text = ageNode.int.map(String.init) ?? ageNode.scalar?.string ?? ""
            guard let seconds = RetentionPolicy.age(text) else {
                reader.fail(.invalidValue, at: ageNode, key: key + ".max_age", "'\(text)' is not an age such as 90d, 12h or 3600 (1 second to 100 years)")
                return nil
            }
            policy.maxAge = seconds
        }
        if let countNode = mapping["max_events"], let count = reader.int(countNode, key: key + ".max_events") {
            guard count >= 1, UInt64(count) <= RetentionPolicy.maxEventsLimit else {
                reader.fail(.invalidValue, at: countNode, key: key + ".max_events", "\(count) is not a count of events from 1 to 2^48")
                return nil
            }
            policy.maxEvents = UInt64(count)
        }
        return policy
    }

    /// Reads the `registries` list: collection name → declaration.
    private func loadRegistries(_ node: Node, reader: inout YAMLFile) -> [String: RegistryCollection] {
        guard let entries = reader.sequence(node, key: "registries") else { return [:] }
        var collections: [String: RegistryCollection] = [:]
        for (key, node) in entries {
            guard let mapping = reader.mapping(node, key: key, allowed: ["name", "holder", "type", "valid_from", "valid_until", "time_zone"]),
                let nameNode = reader.required(mapping, "name", in: key, at: node), let name = reader.text(nameNode, key: key + ".name")
            else { continue }
            guard RegistryCollection.isValidName(name) else {
                reader.fail(.invalidValue, at: nameNode, key: key + ".name", "'\(name)' is not a valid collection name: 1 to 64 letters, digits, '-' and '_'")
                continue
            }
            guard collections[name] == nil else {
                reader.fail(.duplicate, at: nameNode, key: key + ".name", "registry '\(name)' is declared twice")
                continue
            }
            func pointer(_ field: String) -> JSONPointer? {
                mapping[field].flatMap { reader.pointer($0, key: key + "." + field) }
            }
            var timeZone = RegistryCollection.utc
            if let zoneNode = mapping["time_zone"], let text = reader.text(zoneNode, key: key + ".time_zone") {
                guard let zone = RegistryCollection.timeZone(named: text) else {
                    reader.fail(
                        .invalidValue, at: zoneNode, key: key + ".time_zone",
                        "'\(text)' is not a time zone: give an IANA name such as Asia/Shanghai, UTC, or an offset such as +08:00")
                    continue
                }
                timeZone = zone
            }
            collections[name] = RegistryCollection(
                name: name, holder: pointer("holder"), type: pointer("type"), validFrom: pointer("valid_from"), validUntil: pointer("valid_until"),
                timeZone: timeZone)
        }
        return collections
    }
}
