public import ExchangeModel

/// Keeps only the parts of a JSON document that a list of JSON Pointers names, in their place.
///
/// The projection keeps nested structure: `/holder/name` of `{"holder":{"name":"A","id":"1"},"x":2}`
/// gives `{"holder":{"name":"A"}}`. Members keep the order of the source document. A pointer
/// that names a whole object or array keeps it whole, and wins over longer pointers below it.
/// Pointers that name nothing are skipped.
///
/// Arrays keep positions: a pointer into an array index, such as `/items/2/result`, gives an
/// array in which the selected elements stay at their index and the unselected elements *before*
/// the last selected one are `null` (`{"items":[null,null,{"result":"pass"}]}`), so every pointer
/// names the same value in the projection as in the source. Elements after the last selected one
/// are dropped. A token that is not an index (`/items/result`) selects nothing in an array.
///
/// When nothing is selected the result is an empty object or array of the source's kind, or
/// `null` for a scalar source.
public struct FieldProjection: Hashable, Sendable {
    /// The pointers, as given.
    public let pointers: [JSONPointer]
    let root: Node

    /// A node of the selection tree.
    struct Node: Hashable, Sendable {
        /// Keep the whole value here.
        var whole = false
        /// Selected children by token, in the order first given.
        var children: [(token: String, node: Node)] = []

        static func == (lhs: Node, rhs: Node) -> Bool {
            lhs.whole == rhs.whole && lhs.children.elementsEqual(rhs.children) { $0.token == $1.token && $0.node == $1.node }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(whole)
            for child in children {
                hasher.combine(child.token)
                hasher.combine(child.node)
            }
        }

        mutating func insert(_ tokens: ArraySlice<String>) {
            if whole { return }
            guard let first = tokens.first else {
                whole = true
                children = []
                return
            }
            if let index = children.firstIndex(where: { $0.token == first }) {
                children[index].node.insert(tokens.dropFirst())
            } else {
                var node = Node()
                node.insert(tokens.dropFirst())
                children.append((first, node))
            }
        }

        func child(_ token: String) -> Node? {
            for child in children where child.token == token { return child.node }
            return nil
        }
    }

    /// Creates a projection.
    /// - Parameter pointers: the fields to keep; the empty pointer keeps the whole document.
    public init(_ pointers: [JSONPointer]) {
        self.pointers = pointers
        var root = Node()
        for pointer in pointers {
            root.insert(pointer.tokens[...])
        }
        self.root = root
    }

    /// Whether the projection keeps the whole document.
    public var keepsEverything: Bool { root.whole }

    /// Whether the value `pointer` names, where the document has one, is kept: some pointer of
    /// the projection names it or a value containing it.
    public func keeps(_ pointer: JSONPointer) -> Bool {
        var node = root
        for token in pointer.tokens {
            if node.whole { return true }
            guard let child = node.child(token) else { return false }
            node = child
        }
        return node.whole
    }

    /// The projection of `document`.
    public func apply(to document: JSONValue) -> JSONValue {
        if root.whole { return document }
        if let projected = Self.project(document, root) { return projected }
        switch document {
        case .object: return .object(JSONObject())
        case .array: return .array([])
        default: return .null
        }
    }

    /// The selected part of `value`, or `nil` when nothing under `node` exists in it.
    static func project(_ value: JSONValue, _ node: Node) -> JSONValue? {
        if node.whole { return value }
        switch value {
        case .object(let object):
            var members: [JSONObject.Member] = []
            for member in object.members {
                guard let child = node.child(member.key), let projected = project(member.value, child) else { continue }
                members.append(JSONObject.Member(key: member.key, value: projected))
            }
            return members.isEmpty ? nil : .object(JSONObject(members))
        case .array(let elements):
            var selected: [(index: Int, value: JSONValue)] = []
            for (token, child) in node.children {
                guard let index = JSONPointer.arrayIndex(token), index < elements.count,
                    let projected = project(elements[index], child)
                else { continue }
                selected.append((index, projected))
            }
            guard let last = selected.map(\.index).max() else { return nil }
            var result = [JSONValue](repeating: .null, count: last + 1)
            for (index, projected) in selected {
                result[index] = projected
            }
            return .array(result)
        default:
            return nil
        }
    }
}
