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
    public var registry: String?
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

    /// Creates a topic definition.
    /// - Parameters:
    ///   - name: the topic.
    ///   - owner: the owning department.
    ///   - key: the pointer to the entity key in the data; default `/id`.
    ///   - registry: the registry collection it feeds, if any.
    ///   - schema: a JSON Schema for the data, if any.
    ///   - description: a description, if any.
    public init(
        name: Topic, owner: DepartmentID, key: JSONPointer = JSONPointer(tokens: ["id"]),
        registry: String? = nil, schema: JSONValue? = nil, description: String? = nil
    ) {
        self.name = name
        self.owner = owner
        self.key = key
        self.registry = registry
        self.schema = schema
        self.validator = schema.flatMap { try? JSONSchema($0) }
        self.description = description
    }
}
