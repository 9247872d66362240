package import Yams

/// Where the exchange parses YAML text: the configuration files read by key (ExchangeConfig's
/// `ConfigReader`) and the departments, topics and agreements files read with their lines
/// (``YAMLFile``) both start here.
package enum YAMLDocument {
    /// Why a document cannot be read as values; `message` completes "the file ...".
    package struct Problem: Error, CustomStringConvertible {
        /// E.g. `is not valid YAML: ...` or `holds an unresolved YAML alias (line 3)`.
        package var message: String
        package var description: String { message }
    }

    /// The document's node tree, every node with its position, or `nil` for an empty document.
    /// - Throws: Yams' `YamlError` on a syntax error; ``Problem`` for a base-60 whole number.
    package static func compose(_ text: String) throws -> Node? {
        let node = try Yams.compose(yaml: text)
        if let node, let problem = baseSixtyProblem(node) { throw Problem(message: problem) }
        return node
    }

    /// A whole number written in YAML 1.1's base 60 (`1:30`, resolved so or tagged `!!int`), or
    /// `nil` when there is none. Yams turns such a number into an `Int` with arithmetic that traps
    /// on overflow (`-1111111111111111111:3:10`, found by fuzzing), so it is refused before any
    /// reader constructs it; YAML 1.2 has no such numbers, and the exchange never asks for one.
    static func baseSixtyProblem(_ node: Node) -> String? {
        switch node {
        case .scalar(let scalar):
            guard Tag.Name(rawValue: node.tag.rawValue) == .int, scalar.string.contains(":") else { return nil }
            return "holds a base-60 number, \(scalar.string.prefix(40)), which is not read\(node.mark.map { " (line \($0.line))" } ?? "")"
        case .alias:
            return nil
        case .sequence(let sequence):
            return sequence.lazy.compactMap(baseSixtyProblem).first
        case .mapping(let mapping):
            for (key, value) in mapping {
                if let problem = baseSixtyProblem(key) ?? baseSixtyProblem(value) { return problem }
            }
            return nil
        }
    }

    /// The document as values (mappings, lists, text, numbers, booleans), or `nil` for an empty one.
    /// - Throws: ``Problem`` on invalid YAML, or YAML that cannot become values.
    package static func values(_ text: String) throws(Problem) -> Any? {
        let node: Node?
        do {
            node = try compose(text)
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(message: "is not valid YAML: \(error)")
        }
        if let node, let problem = constructionProblem(node) {
            throw Problem(message: problem)
        }
        return node?.any
    }

    /// What keeps Yams from turning `node` into values, or `nil` when nothing does: a mapping key
    /// that is a mapping or a list (`? [a, b]`), or an unresolved alias; constructing either traps.
    static func constructionProblem(_ node: Node) -> String? {
        func line(_ node: Node) -> String { node.mark.map { " (line \($0.line))" } ?? "" }
        switch node {
        case .scalar:
            return nil
        case .alias:
            return "holds an unresolved YAML alias\(line(node))"
        case .sequence(let sequence):
            return sequence.lazy.compactMap(constructionProblem).first
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar = key else { return "has a mapping key that is not text\(line(key))" }
                if let problem = constructionProblem(value) { return problem }
            }
            return nil
        }
    }
}
