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
    /// A JSON Schema for the topic's data, carried as written; not enforced by routing.
    public var schema: JSONValue?
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
        self.description = description
    }
}
