import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MariaDB
@testable import Parley
import Testing
import TestSupport
import Yams

/// Error envelopes, limits, health checks, rate limits and the OpenAPI contract.
@Suite struct HTTPBasicsTests {
    /// A key counts only as documented (snake_case): other spellings of it are unknown keys, ignored,
    /// so they neither set the field nor stand beside it. Foundation's snake-case conversion took
    /// `displayName` too, and of `displayName` and `display_name` the first won (a hunt).
    @Test func onlyTheDocumentedSpellingOfAKeyCounts() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let spelled = try await client.send(
                .post, "/api/users", json: #"{"username":"spelled","password":"password123","displayName":"Y","display_name":"X"}"#)
            #expect(spelled.status == .created, "\(String(buffer: spelled.body))")
            #expect(try parley.scalar("SELECT display_name FROM users WHERE username = 'spelled'") == .string("X"))
            for (n, alias) in ["displayName", "Display_Name", "display__name", "_display_name", "display_name_"].enumerated() {
                let body = #"{"username":"alias\#(n)","password":"password123","\#(alias)":"Y"}"#
                #expect(try await client.send(.post, "/api/users", json: body).status == .created, "\(alias)")
                #expect(try parley.scalar("SELECT display_name FROM users WHERE username = ?", ["alias\(n)"]) != .string("Y"), "\(alias)")
            }
            // The message route's own reader sends such a body to the decoder, which ignores the key.
            let ann = try await client.signUp("ann")
            let first = try await MessageTests.say(client, ann, room: 1, "first")
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"second","replyTo":\#(first)}"#, headers: ann.bearer)
            #expect(posted.status == .created)
            #expect(try posted.json()["message"]?["reply_to"] == .null)
        }
        #expect(SnakeCaseKey("reply_to").stringValue == "replyTo")
        #expect(SnakeCaseKey("expires_in_seconds").stringValue == "expiresInSeconds")
        #expect(SnakeCaseKey("text").stringValue == "text")
        #expect(SnakeCaseKey("replyTo").stringValue == " replyTo")
    }

    @Test func badBodiesGetClearErrorsAndWriteNothing() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            try await client.send(.post, "/api/users", json: #"{"username": "x", "#).expectError(.badRequest, "malformed_json")
            try await client.send(.post, "/api/users", json: "").expectError(.badRequest, "malformed_json")
            // Trailing commas are not JSON (Foundation's decoder alone would take them).
            for body in [#"{"username":"quinn","password":"password123",}"#, #"{"username":"quinn","password":"password123" , \#n}"#] {
                try await client.send(.post, "/api/users", json: body).expectError(.badRequest, "malformed_json")
            }
            #expect(try parley.count("users") == 0)
            // A key given twice is refused (which value counts would be a guess), at any depth and
            // however it is spelled; the same key in two objects is no repeat.
            for body in [
                #"{"username":"quinn","password":"password123","username":"admin"}"#, #"{"username":"quinn","password":"password123","us\u0065rname":"x"}"#,
                #"{"username":"quinn","password":"password123","extra":[{"a":1,"a":2}]}"#,
            ] {
                let repeated = try await client.send(.post, "/api/users", json: body)
                repeated.expectError(.badRequest, "invalid_request")
                #expect(String(buffer: repeated.body).contains("given more than once"), "\(body)")
            }
            #expect(try parley.count("users") == 0)
            #expect(Request.repeatedKey(in: ByteBuffer(string: #"{"a":{"k":1},"b":{"k":[{"k":2}]},"s":"\"a\":1,\"a\":"}"#)) == nil)
            #expect(Request.repeatedKey(in: ByteBuffer(string: #"{"a":{"k":1,"b":2,"k":3}}"#)) == "k")
            // A comma in a string is no trailing comma: this body is JSON, only short of a password.
            let commas = try await client.send(.post, "/api/users", json: #"{"username":"q,}","display_name":"Q \",]"}"#)
            commas.expectError(.badRequest, "invalid_request")
            #expect(String(buffer: commas.body).contains("`password`"))
            let wrongType = try await client.send(.post, "/api/users", json: #"{"username": 5, "password": "password123"}"#)
            wrongType.expectError(.badRequest, "invalid_request")
            #expect(wrongType.errorCode == "invalid_request")
            #expect(String(buffer: wrongType.body).contains("`username`"))
            let missing = try await client.send(.post, "/api/users", json: #"{"username": "quinn"}"#)
            missing.expectError(.badRequest, "invalid_request")
            #expect(String(buffer: missing.body).contains("`password`"))
            try await client.send(.post, "/api/users", json: #"{"username": null, "password": "password123"}"#).expectError(.badRequest, "invalid_request")
            try await client.send(.post, "/api/users", json: #"["quinn", "password123"]"#).expectError(.badRequest, "invalid_request")
            try await client.send(.post, "/api/users", json: #"{"username":"quinn","password":"password123"}"#, headers: [.contentType: "text/plain"])
                .expectError(.unsupportedMediaType, "unsupported_media_type")
            try await client.send(.post, "/api/users", json: nil).expectError(.unsupportedMediaType, "unsupported_media_type")
            let huge = #"{"username":"quinn","password":"password123","display_name":"\#(String(repeating: "a", count: 70_000))"}"#
            try await client.send(.post, "/api/users", json: huge).expectError(.contentTooLarge, "payload_too_large")
            // A value an enum does not take is named in the API's words, not Swift's.
            #expect(try parley.count("users") == 0)
            let quinn = try await client.signUp("quinn")
            let status = try await client.send(.put, "/api/me/presence", json: #"{"status":"ONLINE"}"#, headers: quinn.bearer)
            status.expectError(.badRequest, "invalid_request")
            let message = try #require(try status.json()["error"]?["message"]?.string)
            #expect(message == "Field `status` does not take the value ONLINE (values are case-sensitive; see openapi.yaml).", "\(message)")
        }
    }

    /// A number that fits no integer field (Foundation refuses the whole body without naming it) is
    /// named: the field the route reads, not an unknown one that is ignored anyway (a hunt saw
    /// `junk[0]` named for `up_to`).
    @Test func theFieldWithANumberThatDoesNotFitIsNamed() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            for (body, field) in [
                (#"{"up_to":1.5}"#, "up_to"), (#"{"junk":[1.5],"up_to":9223372036854775808}"#, "up_to"),
                (#"{"junk":{"x":2.5},"up_to":1.5}"#, "up_to"), (#"{"a":1.5,"up_to":1e40,"z":[0.5]}"#, "up_to"),
            ] {
                let refused = try await client.send(.post, "/api/me/notifications/seen", json: body, headers: ann.bearer)
                refused.expectError(.badRequest, "invalid_request")
                #expect(try refused.json()["error"]?["message"]?.string == "Field `\(field)` must be a whole number within range.", "\(body)")
            }
            // Many such numbers are not each tried (that would cost their square): the first is named.
            let many = #"{"junk":[\#(Array(repeating: "1.5", count: 5000).joined(separator: ","))],"up_to":1.5}"#
            let refused = try await client.send(.post, "/api/me/notifications/seen", json: many, headers: ann.bearer)
            refused.expectError(.badRequest, "invalid_request")
            #expect(try refused.json()["error"]?["message"]?.string == "Field `junk[0]` must be a whole number within range.")
            // Where the body has one such number, it is named as before (nested too).
            let nested = try await client.send(.post, "/api/rooms", json: #"{"name":"g","kind":"group","members":[2.5]}"#, headers: ann.bearer)
            #expect(try nested.json()["error"]?["message"]?.string == "Field `members[0]` must be a whole number within range.")
        }
    }

    /// A body in a content coding (gzip, br) is refused with 415 and `Accept-Encoding: identity`:
    /// no route decodes one, so gzip's bytes were read as malformed JSON (400), and a `br` body that
    /// happened to be JSON was taken as it came (a hunt). `identity` is no coding.
    @Test func aCompressedBodyIsRefused() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let body = #"{"username":"quinn","password":"password123"}"#
            for coding in ["gzip", "br", "GZIP, identity", "deflate"] {
                let refused = try await client.send(.post, "/api/users", json: body, headers: [.contentEncoding: coding])
                refused.expectError(.unsupportedMediaType, "unsupported_media_type")
                #expect(refused.headers[.acceptEncoding] == "identity", "\(coding)")
            }
            #expect(try parley.count("users") == 0)
            #expect(try await client.send(.post, "/api/users", json: body, headers: [.contentEncoding: "identity"]).status == .created)
            let quinn = try await client.logIn("quinn")
            var headers = quinn.bearer
            headers[.contentEncoding] = "gzip"
            let upload = try await client.execute(uri: "/api/rooms/1/files?name=notes.txt", method: .post, headers: headers, body: ByteBuffer(string: "hello"))
            upload.expectError(.unsupportedMediaType, "unsupported_media_type")
            #expect(try parley.count("files") == 0)
        }
    }

    @Test func unknownFieldsAreIgnoredAndCharsetParametersAccepted() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let response = try await client.send(
                .post, "/api/users", json: #"{"username":"rosa","password":"password123","favourite_colour":"teal"}"#,
                headers: [.contentType: "application/json; charset=utf-8"])
            #expect(response.status == .created)
        }
        #expect(try parley.count("users") == 1)
    }

    @Test func unknownRoutesAndWrongMethodsAreExplained() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            try await client.send(.get, "/api/nothing-here").expectError(.notFound, "not_found")
            try await client.send(.get, "/nope").expectError(.notFound, "not_found")
            // An empty segment names no route, though the router would read past it: no account is made.
            for uri in ["/api/users/", "/api//users", "/api/users//", "//api/users", "//api//users"] {
                try await client.send(.post, uri, json: #"{"username":"slashes","password":"password123"}"#).expectError(.notFound, "not_found")
            }
            try await client.send(.get, "/api/session/").expectError(.notFound, "not_found")
            #expect(try await client.send(.post, "/api/users", json: #"{"username":"slashes","password":"password123"}"#).status == .created)
            let wrongMethod = try await client.send(.patch, "/api/session")
            wrongMethod.expectError(.methodNotAllowed, "method_not_allowed")
            // `HEAD` goes with `GET` (it is answered wherever `GET` is), but on the event routes.
            #expect(wrongMethod.headers[.allow] == "DELETE, GET, HEAD, POST")
            let wrongOnParameter = try await client.send(.get, "/api/me/sessions/12")
            wrongOnParameter.expectError(.methodNotAllowed, "method_not_allowed")
            #expect(wrongOnParameter.headers[.allow] == "DELETE")
            let onTheStream = try await client.send(.post, "/api/events/stream")
            onTheStream.expectError(.methodNotAllowed, "method_not_allowed")
            #expect(onTheStream.headers[.allow] == "GET")
        }
    }

    @Test func everyResponseCarriesARequestID() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            var seen = Set<String>()
            for uri in ["/healthz", "/api/session", "/nope"] {
                let id = try #require(try await client.send(.get, uri).headers[.init("X-Request-Id")!])
                #expect(!id.isEmpty)
                seen.insert(id)
            }
            #expect(seen.count == 3)
        }
    }

    @Test func healthAndReadiness() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let health = try await client.send(.get, "/healthz")
            #expect(health.status == .ok)
            #expect(try health.json() == .object(["status": .string("ok")]))
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .ok)
            #expect(try ready.json() == .object(["status": .string("ready")]))
        }
    }

    @Test func readinessFailsWhileTheDatabaseIsDown() async throws {
        let server = MariaDBServerProcess(directory: TestDatabase.temporaryDirectory("ready"), durable: false)
        try await server.start()
        defer { try? FileManager.default.removeItem(at: server.directory) }
        let admin = try MariaDBConnection(configuration: server.configuration())
        try admin.executeText("CREATE DATABASE parley")
        admin.close()
        var config = try await TestParley.make().config
        config.databaseURL = server.url(database: "parley")
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            #expect(try await client.send(.get, "/readyz").status == .ok)
            await server.stop()
            try await client.send(.get, "/readyz").expectError(.serviceUnavailable, "not_ready")
            #expect(try await client.send(.get, "/healthz").status == .ok)
            try await server.start()
            #expect(try await client.send(.get, "/readyz").status == .ok)
        }
        await server.stop()
    }

    /// A database that refuses new connections (here: the account's connection limit, error 1226;
    /// `max_connections` gives 1040) answers 503 `unavailable` with `Retry-After`, not 500, and
    /// writes nothing; once it takes connections again, the same request succeeds.
    @Test func aDatabaseOutOfConnectionsAnswers503() async throws {
        let base = try await TestParley.make()
        let database = try #require(URLComponents(string: base.databaseURL)?.path.dropFirst()).description
        let account = "lim\(UInt32.random(in: 0...UInt32.max))"
        let server = try await TestDatabase.server()
        let admin = try MariaDBConnection(configuration: server.configuration())
        defer {
            try? admin.executeText("DROP USER IF EXISTS '\(account)'@'localhost'")
            admin.close()
        }
        try admin.executeText("CREATE USER '\(account)'@'localhost' IDENTIFIED BY 'pw-\(account)'")
        try admin.executeText("GRANT ALL ON `\(database)`.* TO '\(account)'@'localhost'")
        let accountURL = "mysql://\(account):pw-\(account)@localhost/\(database)?socket=\(server.socketPath)"
        var config = base.config
        config.databaseURL = accountURL
        config.databasePoolSize = 1
        let app = try await buildApplication(config: config)
        try await app.test(.router) { client in
            #expect(try await client.register("ann").status == .created)
            // Limited only now: while the application starts, a connection it has closed may
            // still count against the limit for a moment (a busy server finishes it late).
            try admin.executeText("ALTER USER '\(account)'@'localhost' WITH MAX_USER_CONNECTIONS 1")
            // The application's one connection ends and the test takes the account's only one:
            // the application's reconnects are refused.
            let held = try await Self.takeOnlyConnection(accountURL, account: account, admin: admin)
            defer { held.close() }
            let refused = try await client.register("bob")
            refused.expectError(.serviceUnavailable, "unavailable")
            #expect(refused.headers[.retryAfter] == "2")
            try await client.login("ann").expectError(.serviceUnavailable, "unavailable")
            held.close()
            // The server counts a closed connection until it has finished it (late when busy).
            for _ in 0..<100 {
                guard try !admin.query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?", [account]).isEmpty else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await client.register("bob").status == .created)
        }
        #expect(try base.query("SELECT username FROM users ORDER BY id").map { try $0.decode("username", as: String.self) } == ["ann", "bob"])
    }

    /// The one connection an account limited to one may have: its other connections (the
    /// application's) are killed until this one gets in. The application's background work (the
    /// event tailer, the sweepers) may reconnect first, so it is tried again for at most 10 s.
    private static func takeOnlyConnection(_ url: String, account: String, admin: MariaDBConnection) async throws -> MariaDBConnection {
        let configuration = try MariaDBConfiguration(url: url)
        for _ in 0..<100 {
            for row in try admin.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?", [account]) {
                try? admin.executeText("KILL CONNECTION \(try row.decode("id", as: Int64.self))")
            }
            if let connection = try? MariaDBConnection(configuration: configuration) { return connection }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try MariaDBConnection(configuration: configuration)
    }

    @Test func loginIsRateLimitedPerUsername() async throws {
        // One login back every 20 minutes: a loaded machine (the whole suite at once) took over 20 s
        // for these four logins once, and the limit had refilled.
        let parley = try await TestParley.make { $0.loginPerUser = RateLimit(burst: 3, per: .seconds(3600)) }
        try await parley.run { client in
            _ = try await client.register("sam")
            for _ in 0..<3 { try await client.login("sam", password: "wrong-password").expectError(.unauthorized, "invalid_credentials") }
            let limited = try await client.login("SAM")
            limited.expectError(.tooManyRequests, "rate_limited")
            let retryAfterText = try #require(limited.headers[.retryAfter])
            let retryAfter = try #require(Int(retryAfterText))
            #expect((1...1200).contains(retryAfter))
            // Other spellings the database's collation would match (trailing spaces, accents,
            // full-width letters) are not the account: each has its own count, so they must not log in.
            for variant in ["sam ", "sam  ", "sám", "ｓam", "sam\u{00A0}", "ſam"] {
                try await client.login(variant).expectError(.unauthorized, "invalid_credentials")
            }
            // Another username is not affected.
            _ = try await client.register("tia")
            #expect(try await client.login("tia").status == .ok)
        }
        #expect(try parley.count("sessions") == 1)
    }

    @Test func loginIsRateLimitedPerAddress() async throws {
        // Two an hour: none comes back while the test runs (at two a minute, a loaded machine took
        // the 30 s one needs to come back, and a login meant to be refused was let through).
        let parley = try await TestParley.make {
            $0.loginPerIP = RateLimit(burst: 2, per: .seconds(3600))
            $0.trustProxy = true
        }
        try await parley.run { client in
            _ = try await client.register("uma")
            let address: HTTPFields = [.init("X-Forwarded-For")!: "203.0.113.7"]
            #expect(try await client.login("uma", headers: address).status == .ok)
            try await client.login("nobody1", headers: address).expectError(.unauthorized, "invalid_credentials")
            try await client.login("uma", headers: address).expectError(.tooManyRequests, "rate_limited")
            #expect(try await client.login("uma", headers: [.init("X-Forwarded-For")!: "203.0.113.8"]).status == .ok)
            // The address is the proxy's last entry, not what the client wrote before it (as a proxy
            // appends): changing the first one escapes nothing.
            for spoofed in ["10.7.1.1", "10.7.2.2", "garbage"] {
                let headers: HTTPFields = [.init("X-Forwarded-For")!: "\(spoofed), 203.0.113.7"]
                try await client.login("uma", headers: headers).expectError(.tooManyRequests, "rate_limited")
            }
            // Two header lines read as one list; a last entry that is no address leaves the connection's.
            var two = HTTPFields()
            two.append(HTTPField(name: .init("X-Forwarded-For")!, value: "203.0.113.9"))
            two.append(HTTPField(name: .init("X-Forwarded-For")!, value: "203.0.113.7"))
            try await client.login("uma", headers: two).expectError(.tooManyRequests, "rate_limited")
            #expect(SessionMiddleware.forwardedClient([.init("X-Forwarded-For")!: "203.0.113.7, garbage!!"]) == nil)
            #expect(SessionMiddleware.forwardedClient([.init("X-Forwarded-For")!: "1.2.3.4,  2001:db8::1 "]) == "2001:db8::1")
        }
    }

    @Test func registrationIsRateLimitedPerAddressAndUsername() async throws {
        let parley = try await TestParley.make {
            $0.registerPerIP = RateLimit(burst: 3, per: .seconds(3600))
            $0.registerPerUser = RateLimit(burst: 2, per: .seconds(600))
            $0.trustProxy = true
        }
        try await parley.run { client in
            let a: HTTPFields = [.init("X-Forwarded-For")!: "198.51.100.1"]
            let b: HTTPFields = [.init("X-Forwarded-For")!: "198.51.100.2"]
            func register(_ name: String, _ headers: HTTPFields) async throws -> TestResponse {
                try await client.send(.post, "/api/users", json: jsonString(["username": name, "password": "password123"]), headers: headers)
            }
            #expect(try await register("v1", a).status == .unprocessableContent)
            #expect(try await register("vic", a).status == .created)
            try await register("vic", b).expectError(.conflict, "username_taken")
            try await register("VIC", b).expectError(.tooManyRequests, "rate_limited")
            #expect(try await register("val", a).status == .created)
            try await register("vera", a).expectError(.tooManyRequests, "rate_limited")
        }
        #expect(try parley.count("users") == 2)
    }

    @Test func configurationComesFromTheEnvironment() throws {
        let config = try AppConfig(environment: [
            "PARLEY_PORT": "9090", "DATABASE_URL": "mysql://u:p@db:3306/chat", "PARLEY_BCRYPT_COST": "11",
            "PARLEY_SESSION_TTL": "7200", "PARLEY_SECURE_COOKIES": "1", "PARLEY_RATE_LOGIN_USER": "5/30", "PARLEY_LOG_LEVEL": "debug",
        ])
        #expect(config.port == 9090)
        #expect(config.databaseURL == "mysql://u:p@db:3306/chat")
        #expect(config.bcryptCost == 11)
        #expect(config.sessionTTL == .seconds(7200))
        #expect(config.secureCookies)
        #expect(config.loginPerUser == RateLimit(burst: 5, per: .seconds(30)))
        #expect(config.logLevel == .debug)
        #expect(AppConfig().bcryptCost == 12)
        #expect(AppConfig().databaseURL == nil)
        #expect(throws: ConfigError.self) { try AppConfig(environment: ["PARLEY_BCRYPT_COST": "9"]) }
        #expect(throws: ConfigError.self) { try AppConfig(environment: ["PARLEY_PORT": "http"]) }
        #expect(throws: ConfigError.self) { try AppConfig(environment: ["PARLEY_RATE_LOGIN_IP": "fast"]) }
    }

    @Test func migrationsApplyOnceAndAreRecorded() async throws {
        let parley = try await TestParley.make()
        #expect(try await migrateDatabase(config: parley.config).isEmpty == false)
        #expect(try await migrateDatabase(config: parley.config).isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: "sql").filter { $0.hasSuffix(".sql") }
        #expect(try parley.count("schema_migrations") == files.count)
    }

    @Test func openAPIDocumentsExactlyTheServersRoutes() async throws {
        let text = try String(contentsOfFile: "openapi.yaml", encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        var documented = Set<String>()
        var operationIDs = Set<String>()
        for (path, item) in paths {
            for (method, operation) in try #require(item as? [String: Any]) where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
                let operation = try #require(operation as? [String: Any])
                let id = try #require(operation["operationId"] as? String, "\(method) \(path) has no operationId")
                #expect(operationIDs.insert(id).inserted, "operationId \(id) is used twice")
                #expect((operation["responses"] as? [String: Any])?.isEmpty == false)
            }
        }
        let served = Set(try await servedRoutes().map { route in
            let path = route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) /\(path)"
        })
        #expect(documented == served, "only documented: \(documented.subtracting(served)); only served: \(served.subtracting(documented))")
        for id in ["create", "login", "logout", "checkLogin"] { #expect(operationIDs.contains(id)) }
    }

    private func servedRoutes() async throws -> [(method: String, path: String)] {
        let parley = try await TestParley.make()
        return try await describeRoutes(config: parley.config)
    }
}
