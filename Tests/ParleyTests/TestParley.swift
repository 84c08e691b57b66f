import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import NIOCore
import Parley
import Testing
import TestSupport

/// A Parley application on a fresh database of its own, and a direct connection for checking what
/// the server wrote.
struct TestParley {
    let config: AppConfig
    let databaseURL: String

    /// A config for tests: a fresh database, the cheapest allowed bcrypt cost, quiet logs, generous limits.
    static func make(_ configure: (inout AppConfig) -> Void = { _ in }) async throws -> TestParley {
        var config = AppConfig()
        config.databaseURL = try await TestDatabase.freshDatabaseURL(prefix: "api")
        config.bcryptCost = 10
        config.logLevel = .critical
        config.port = 0
        config.databasePoolSize = 4
        let generous = RateLimit(burst: 10_000, per: .seconds(1))
        config.loginPerIP = generous
        config.loginPerUser = generous
        config.registerPerIP = generous
        config.registerPerUser = generous
        config.messagesPerUser = generous
        config.roomsPerUser = generous
        config.joinsPerUser = generous
        config.typingPerUser = generous
        config.draftsPerUser = generous
        configure(&config)
        return TestParley(config: config, databaseURL: config.databaseURL!)
    }

    /// Runs `body` against the application through Hummingbird's router test client.
    func run(_ mode: TestingSetup = .router, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await buildApplication(config: config)
        try await app.test(mode, body)
    }

    /// Runs `body` against a live server (a real TCP port) with a real HTTP client.
    func live(_ body: @escaping @Sendable (LiveClient) async throws -> Void) async throws {
        try await run(.live) { client in
            let live = LiveClient(port: client.port!)
            do {
                try await body(live)
            } catch {
                await live.shutdown()
                throw error
            }
            await live.shutdown()
        }
    }

    /// One value from the database, for asserting on what was (not) written.
    func scalar(_ sql: String, _ parameters: [any MariaDBEncodable] = []) throws -> MariaDBValue {
        let connection = try MariaDBConnection(configuration: try MariaDBConfiguration(url: databaseURL))
        defer { connection.close() }
        return try connection.query(sql, parameters).first?.values.first ?? .null
    }

    /// Rows from the database, for asserting on what was written.
    func query(_ sql: String, _ parameters: [any MariaDBEncodable] = []) throws -> [MariaDBRow] {
        let connection = try MariaDBConnection(configuration: try MariaDBConfiguration(url: databaseURL))
        defer { connection.close() }
        return try connection.query(sql, parameters)
    }

    func count(_ table: String, where condition: String = "TRUE") throws -> Int {
        try Int(mariaDBValue: try scalar("SELECT COUNT(*) FROM \(table) WHERE \(condition)"))
    }

    func execute(_ sql: String, _ parameters: [any MariaDBEncodable] = []) throws {
        let connection = try MariaDBConnection(configuration: try MariaDBConfiguration(url: databaseURL))
        defer { connection.close() }
        try connection.execute(sql, parameters)
    }
}

/// A logged-in user as the tests hold it.
struct LoggedIn: Sendable {
    let id: Int64
    let username: String
    let token: String
    let csrf: String
    let cookie: String

    var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }
    var cookieOnly: HTTPFields { [.cookie: cookie] }
    var cookieWithCSRF: HTTPFields { [.cookie: cookie, .init("X-CSRF-Token")!: csrf] }
}

extension TestClientProtocol {
    /// Sends a JSON body and returns the response.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        if json != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
    }

    func register(_ username: String, password: String = "password123", displayName: String? = nil) async throws -> TestResponse {
        var body: [String: String] = ["username": username, "password": password]
        if let displayName { body["display_name"] = displayName }
        return try await send(.post, "/api/users", json: jsonString(body))
    }

    func login(_ username: String, password: String = "password123", headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(.post, "/api/session", json: jsonString(["username": username, "password": password]), headers: headers)
    }

    /// Registers and logs in a user.
    func signUp(_ username: String, password: String = "password123") async throws -> LoggedIn {
        let registered = try await register(username, password: password)
        #expect(registered.status == .created)
        return try await logIn(username, password: password)
    }

    /// A private group `owner` makes, with `member` added to it.
    func group(_ name: String, of owner: LoggedIn, with member: LoggedIn) async throws -> Int64 {
        let group = try #require(
            try await send(.post, "/api/rooms", json: #"{"name":"\#(name)","kind":"group"}"#, headers: owner.bearer).json()["room"]?["id"]?.int)
        #expect(try await send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(member.id)}"#, headers: owner.bearer).status == .created)
        return group
    }

    /// `actor` gives `user` a role in `room`, which must succeed.
    func setRole(_ role: String, of user: LoggedIn, in room: Int64, by actor: LoggedIn) async throws {
        let response = try await send(.put, "/api/rooms/\(room)/members/\(user.id)/role", json: #"{"role":"\#(role)"}"#, headers: actor.bearer)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
    }

    func logIn(_ username: String, password: String = "password123", headers: HTTPFields = [:]) async throws -> LoggedIn {
        let response = try await login(username, password: password, headers: headers)
        #expect(response.status == .ok)
        let body = try response.json()
        let setCookie = try #require(response.headers[.setCookie])
        let cookie = String(setCookie.split(separator: ";")[0])
        return LoggedIn(
            id: try #require(body["user"]?["id"]?.int), username: username, token: try #require(body["token"]?.string),
            csrf: try #require(body["csrf_token"]?.string), cookie: cookie)
    }
}

func jsonString(_ value: [String: String]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
}

/// A decoded JSON value, for asserting on whole response bodies.
enum JSON: Equatable, Sendable, Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let v = try? container.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? container.decode(Double.self) {
            self = .number(v)
        } else if let v = try? container.decode(String.self) {
            self = .string(v)
        } else if let v = try? container.decode([JSON].self) {
            self = .array(v)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    subscript(index: Int) -> JSON? {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var int: Int64? { if case .number(let n) = self { return Int64(exactly: n) } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    var keys: Set<String> { if case .object(let o) = self { return Set(o.keys) } else { return [] } }
}

extension TestResponse {
    func json() throws -> JSON {
        try JSONDecoder().decode(JSON.self, from: Data(buffer: body))
    }

    /// The `error.code` of an error envelope.
    var errorCode: String? { (try? json())?["error"]?["code"]?.string }

    /// Asserts the status and that the body is the error envelope with `code` and a message.
    func expectError(_ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self.status == status, sourceLocation: sourceLocation)
        let body = try? json()
        #expect(body?["error"]?["code"]?.string == code, "body: \(String(buffer: self.body))", sourceLocation: sourceLocation)
        #expect((body?["error"]?["message"]?.string ?? "").isEmpty == false, sourceLocation: sourceLocation)
        #expect(body?.keys == ["error"], sourceLocation: sourceLocation)
        #expect(headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    }
}
