/// The console's static files, served by the daemon itself under `/console/assets/` (no CDN):
/// the style sheet and the one script, which verifies inclusion proofs in the browser.
public enum ConsoleAssets {
    /// One file: its media type and bytes.
    public struct Asset: Sendable {
        /// The `Content-Type` to answer with.
        public let contentType: String
        /// The file's text.
        public let text: String
    }

    /// The files by name, e.g. `console.css`.
    public static let files: [String: Asset] = [
        "console.css": Asset(contentType: "text/css; charset=utf-8", text: styleSheet),
        "proof.js": Asset(contentType: "text/javascript; charset=utf-8", text: proofScript),
    ]
}
