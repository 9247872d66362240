import Mustache

/// Renders the console's pages from ``ConsoleTemplates`` with swift-mustache, which escapes
/// every `{{value}}` for HTML.
public struct ConsoleRenderer: Sendable {
    let library: MustacheLibrary

    /// Parses the templates; they are part of the program, so a parse failure is a defect.
    public init() {
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("console template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    /// The page `template` rendered with `context`.
    /// - Parameters:
    ///   - template: a template name, e.g. `audit`.
    ///   - context: the values the template reads.
    public func render(_ template: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: template) ?? ""
    }
}
