import Foundation

/// Where and how to connect: parsed from `mysql://user:pass@host:port/db?socket=/path`.
public struct MariaDBConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String?
    /// A Unix socket path; when set, `host` and `port` are ignored.
    public var socket: String?
    public var connectTimeoutSeconds: UInt32
    public var readTimeoutSeconds: UInt32
    public var writeTimeoutSeconds: UInt32

    public init(
        host: String = "127.0.0.1", port: Int = 3306, user: String, password: String? = nil, database: String? = nil,
        socket: String? = nil, connectTimeoutSeconds: UInt32 = 5, readTimeoutSeconds: UInt32 = 30, writeTimeoutSeconds: UInt32 = 30
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.socket = socket
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
    }

    /// Parses a `mysql://` or `mariadb://` URL. Query items: `socket`, `connect_timeout`, `read_timeout`, `write_timeout`.
    public init(url string: String) throws {
        guard let components = URLComponents(string: string), let scheme = components.scheme,
            scheme == "mysql" || scheme == "mariadb"
        else {
            throw MariaDBError(code: 0, message: "not a mysql:// URL: \(Self.redacted(string))")
        }
        let items = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        func seconds(_ name: String, _ fallback: UInt32) throws -> UInt32 {
            guard let text = items[name] else { return fallback }
            guard let value = UInt32(text), value > 0 else {
                throw MariaDBError(code: 0, message: "\(name) must be a positive number of seconds")
            }
            return value
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.init(
            host: components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1",
            port: components.port ?? 3306,
            user: components.user?.removingPercentEncoding ?? "root",
            password: components.password?.removingPercentEncoding,
            database: path.isEmpty ? nil : path.removingPercentEncoding,
            socket: items["socket"].flatMap { $0.isEmpty ? nil : $0 },
            connectTimeoutSeconds: try seconds("connect_timeout", 5),
            readTimeoutSeconds: try seconds("read_timeout", 30),
            writeTimeoutSeconds: try seconds("write_timeout", 30))
    }

    /// The URL with any password replaced, for logs.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "mysql://***"
    }
}
