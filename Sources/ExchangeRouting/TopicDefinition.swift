public import ExchangeModel

/// A topic as `topics.yaml` declares it.
public struct TopicDefinition: Hashable, Sendable {
    /// The topic's name.
    public var name: Topic
    /// The department that owns the topic and alone may publish to it.
    public var owner: DepartmentID
    /// Where the entity key (e.g. the licence number) is in an event's data.
    public var key: JSONPointer
    /// The registry collection this topic feeds (e.g. `licences`), if any.
    public var registry: String? {
        didSet { if collection?.name != registry { collection = registry.map { RegistryCollection(name: $0) } } }
    }
    /// The declaration of the collection this topic feeds (its indexed fields), from the
    /// `registries` list of `topics.yaml`; `nil` when the topic feeds none.
    public var collection: RegistryCollection?
    /// A JSON Schema for the topic's data, as written. The exchange refuses published events
    /// whose data breaks it.
    public var schema: JSONValue? {
        didSet { validator = schema.flatMap { try? JSONSchema($0) } }
    }
    /// The compiled `schema`; `nil` when there is none (or it does not compile, which the
    /// configuration loader reports as an error).
    public private(set) var validator: JSONSchema?
    /// A description for people.
    public var description: String?
    /// How long the topic's events stay in the live store (`retention` in `topics.yaml`, or its
    /// `default_retention`); `nil` keeps them forever.
    public var retention: RetentionPolicy?
    /// The topic's entry in the data-sharing catalogue, if `topics.yaml` gives one.
    public var catalogue: CatalogueEntry?
    /// Whether retention writes the topic's expired events to the archive directory
    /// (`retention.archive_directory`) before it removes them (`archive: true` in `topics.yaml`).
    public var archive: Bool = false

    /// Creates a topic definition.
    /// - Parameters:
    ///   - name: the topic.
    ///   - owner: the owning department.
    ///   - key: the pointer to the entity key in the data; default `/id`.
    ///   - registry: the registry collection it feeds, if any.
    ///   - collection: that collection's declaration; by default one without indexed fields.
    ///   - schema: a JSON Schema for the data, if any.
    ///   - description: a description, if any.
    ///   - catalogue: the catalogue entry, if any.
    ///   - retention: how long its events stay; `nil` keeps them forever.
    public init(
        name: Topic, owner: DepartmentID, key: JSONPointer = JSONPointer(tokens: ["id"]),
        registry: String? = nil, collection: RegistryCollection? = nil, schema: JSONValue? = nil, description: String? = nil,
        catalogue: CatalogueEntry? = nil, retention: RetentionPolicy? = nil
    ) {
        self.name = name
        self.owner = owner
        self.key = key
        self.registry = registry
        self.collection = registry.map { name in collection.flatMap { $0.name == name ? $0 : nil } ?? RegistryCollection(name: name) }
        self.schema = schema
        self.validator = schema.flatMap { try? JSONSchema($0) }
        self.description = description
        self.retention = retention
        self.catalogue = catalogue
    }
}
