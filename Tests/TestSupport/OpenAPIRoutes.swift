import Foundation
import Hummingbird
import Yams

/// The operations an OpenAPI document describes, as `GET /v1/things/{}` strings.
public enum OpenAPIRoutes {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    public static func documented(service: String) throws -> Set<String> {
        let url = TestEnvironment.repositoryRoot.appendingPathComponent("docs/api/\(service).yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { return [] }
        guard (root["openapi"] as? String)?.hasPrefix("3.1") == true else {
            throw OpenAPIDocumentError(description: "\(url.lastPathComponent) is not an OpenAPI 3.1 document")
        }
        let paths = root["paths"] as? [String: Any] ?? [:]
        var result: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where methods.contains(method) {
                result.insert("\(method.uppercased()) \(normalize(path))")
            }
        }
        return result
    }

    /// What a router really serves, in the same form.
    public static func served<Context>(by router: Router<Context>) -> Set<String> {
        Set(router.routes.map { "\($0.method.rawValue) \(normalize($0.path.description))" })
    }

    /// `/v1/x/{id}` and `/v1/x/:id` both become `/v1/x/{}`; no trailing slash.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").map { part -> String in
            if part.hasPrefix(":") || (part.hasPrefix("{") && part.hasSuffix("}")) { return "{}" }
            return String(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

public struct OpenAPIDocumentError: Error, CustomStringConvertible {
    public var description: String
}
