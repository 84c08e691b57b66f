import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Two-factor authentication: codes as RFC 6238 makes them, setting it up and confirming it, the
/// code asked for at login (once each), recovery codes, turning it off, and a site admin's reset.
@Suite struct TwoFactorTests {
    @Test func codesAndKeysAreTheRFCs() {
        // RFC 6238, appendix B (SHA-1, eight digits), and RFC 4648's base32 examples.
        let secret = Array("12345678901234567890".utf8)
        let vectors: [(Int64, String)] = [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
        for (time, code) in vectors {
            #expect(TOTP.code(secret: secret, step: time / 30, digits: 8) == code)
            #expect(TOTP.code(secret: secret, step: time / 30) == String(code.suffix(6)))
        }
        #expect(TOTP.step(at: Date(timeIntervalSince1970: 59)) == 1)
        let base32 = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI"]
        for (text, encoded) in base32 { #expect(Base32.encode(Array(text.utf8)) == encoded) }
    }

    static func login(_ client: any TestClientProtocol, _ username: String, password: String = "password123", code: String? = nil) async throws
        -> TestResponse
    {
        var body = ["username": username, "password": password]
        if let code { body["code"] = code }
        return try await client.send(.post, "/api/session", json: jsonString(body))
    }

    /// The user's key as stored, and the code of a step from now (0: the current one).
    static func code(_ parley: TestParley, _ user: LoggedIn, step offset: Int64 = 0) throws -> String {
        let secret = try #require(try parley.query("SELECT secret FROM two_factor WHERE user_id = ?", [user.id]).first).decode("secret", as: [UInt8].self)
        return TOTP.code(secret: secret, step: TOTP.step(at: Date()) + offset)
    }

    /// A six-digit code that is none of the ones taken now.
    static func wrongCode(_ parley: TestParley, _ user: LoggedIn) throws -> String {
        let taken = try Set((-2...2).map { try code(parley, user, step: Int64($0)) })
        return (0..<10).map { String(repeating: String($0), count: 6) }.first { !taken.contains($0) }!
    }

    /// Sets it up and confirms it; the recovery codes.
    static func turnOn(_ client: any TestClientProtocol, _ parley: TestParley, _ user: LoggedIn) async throws -> [String] {
        let setup = try await client.send(.post, "/api/me/two-factor", json: #"{"password":"password123"}"#, headers: user.bearer)
        #expect(setup.status == .created, "\(String(buffer: setup.body))")
        let confirmed = try await client.send(
            .post, "/api/me/two-factor/confirm", json: #"{"code":"\#(try code(parley, user))"}"#, headers: user.bearer)
        #expect(confirmed.status == .ok, "\(String(buffer: confirmed.body))")
        return try confirmed.json()["recovery_codes"]?.array?.compactMap(\.string) ?? []
    }

    static func status(_ client: any TestClientProtocol, _ user: LoggedIn) async throws -> JSON? {
        try await client.send(.get, "/api/me/two-factor", headers: user.bearer).json()["two_factor"]
    }

    @Test func itIsSetUpWithACodeAndThenAskedForAtEveryLoginEachCodeOnce() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            #expect(try await Self.status(client, ann) == .object(["enabled": .bool(false), "enabled_at": .null, "recovery_codes_left": .number(0)]))
            try await client.send(.post, "/api/me/two-factor", json: #"{"password":"wrong-password"}"#, headers: ann.bearer)
                .expectError(.forbidden, "wrong_password")
            try await client.send(.post, "/api/me/two-factor/confirm", json: #"{"code":"123456"}"#, headers: ann.bearer)
                .expectError(.conflict, "no_two_factor_setup")

            let made = try await client.send(.post, "/api/me/two-factor", json: #"{"password":"password123"}"#, headers: ann.bearer)
            #expect(made.status == .created)
            let setup = try #require(try made.json()["setup"])
            let secret = try #require(setup["secret"]?.string)
            let stored = try #require(try parley.query("SELECT secret FROM two_factor WHERE user_id = ?", [ann.id]).first)
            #expect(Base32.encode(try stored.decode("secret", as: [UInt8].self)) == secret)
            #expect(secret.count == 32)
            #expect(setup["otpauth_uri"]?.string
                == "otpauth://totp/Parley:ann?secret=\(secret)&issuer=Parley&algorithm=SHA1&digits=6&period=30")
            #expect(setup["digits"]?.int == 6 && setup["period"]?.int == 30 && setup["algorithm"]?.string == "SHA1")
            // Set up but not confirmed: logins do not ask for a code yet.
            #expect(try await Self.login(client, "ann").status == .ok)
            #expect(try await Self.status(client, ann)?["enabled"] == .bool(false))

            try await client.send(
                .post, "/api/me/two-factor/confirm", json: #"{"code":"\#(try Self.wrongCode(parley, ann))"}"#, headers: ann.bearer
            ).expectError(.forbidden, "invalid_code")
            let now = try Self.code(parley, ann)
            let confirmed = try await client.send(.post, "/api/me/two-factor/confirm", json: #"{"code":"\#(now)"}"#, headers: ann.bearer)
            #expect(confirmed.status == .ok)
            let recovery = try confirmed.json()["recovery_codes"]?.array?.compactMap(\.string) ?? []
            #expect(recovery.count == 10 && Set(recovery).count == 10)
            #expect(recovery.allSatisfy { $0.range(of: #"^[a-z2-7]{5}-[a-z2-7]{5}$"#, options: .regularExpression) != nil })
            let status = try #require(try await Self.status(client, ann))
            #expect(status["enabled"] == .bool(true) && status["recovery_codes_left"]?.int == 10 && status["enabled_at"]?.string != nil)
            try await client.send(.post, "/api/me/two-factor", json: #"{"password":"password123"}"#, headers: ann.bearer)
                .expectError(.conflict, "two_factor_enabled")
            try await client.send(.post, "/api/me/two-factor/confirm", json: #"{"code":"\#(now)"}"#, headers: ann.bearer)
                .expectError(.conflict, "two_factor_enabled")

            // Logging in: the password alone is not enough; a wrong password says nothing of a code.
            try await Self.login(client, "ann").expectError(.unauthorized, "two_factor_required")
            try await Self.login(client, "ann", password: "wrong-password").expectError(.unauthorized, "invalid_credentials")
            try await Self.login(client, "ann", password: "wrong-password", code: now).expectError(.unauthorized, "invalid_credentials")
            try await Self.login(client, "ann", code: try Self.wrongCode(parley, ann)).expectError(.unauthorized, "invalid_code")
            try await Self.login(client, "ann", code: "not a code").expectError(.unauthorized, "invalid_code")
            // The code that confirmed it is spent; the next step's works once, typed with a space.
            try await Self.login(client, "ann", code: now).expectError(.unauthorized, "invalid_code")
            let next = try Self.code(parley, ann, step: 1)
            let session = try await Self.login(client, "ann", code: "\(next.prefix(3)) \(next.suffix(3))")
            #expect(session.status == .ok, "\(String(buffer: session.body))")
            let token = try #require(try session.json()["token"]?.string)
            #expect(try await client.send(.get, "/api/session", headers: [.authorization: "Bearer \(token)"]).status == .ok)
            try await Self.login(client, "ann", code: next).expectError(.unauthorized, "invalid_code")

            // A recovery code works once, however it is typed.
            #expect(try await Self.login(client, "ann", code: " \(recovery[0].uppercased()) ").status == .ok)
            try await Self.login(client, "ann", code: recovery[0]).expectError(.unauthorized, "invalid_code")
            #expect(try await Self.status(client, ann)?["recovery_codes_left"]?.int == 9)
            // New ones replace them all.
            try await client.send(.post, "/api/me/two-factor/recovery-codes", json: #"{"password":"nope-nope"}"#, headers: ann.bearer)
                .expectError(.forbidden, "wrong_password")
            let renewed = try await client.send(.post, "/api/me/two-factor/recovery-codes", json: #"{"password":"password123"}"#, headers: ann.bearer)
            let fresh = try renewed.json()["recovery_codes"]?.array?.compactMap(\.string) ?? []
            #expect(fresh.count == 10 && Set(fresh).isDisjoint(with: recovery))
            try await Self.login(client, "ann", code: recovery[1]).expectError(.unauthorized, "invalid_code")
            #expect(try await Self.status(client, ann)?["recovery_codes_left"]?.int == 10)

            // Turning it off takes the password and a code.
            let disable = "/api/me/two-factor/disable"
            try await client.send(.post, disable, json: #"{"password":"password123"}"#, headers: ann.bearer).expectError(.forbidden, "invalid_code")
            try await client.send(.post, disable, json: #"{"password":"password123","code":"\#(try Self.wrongCode(parley, ann))"}"#, headers: ann.bearer)
                .expectError(.forbidden, "invalid_code")
            try await client.send(.post, disable, json: #"{"password":"wrong-one","code":"\#(fresh[0])"}"#, headers: ann.bearer)
                .expectError(.forbidden, "wrong_password")
            #expect(try await client.send(.post, disable, json: #"{"password":"password123","code":"\#(fresh[0])"}"#, headers: ann.bearer).status
                == .noContent)
            #expect(try await Self.login(client, "ann").status == .ok)
            #expect(try parley.count("two_factor") == 0 && parley.count("two_factor_recovery") == 0)
            #expect(try await Self.status(client, ann)?["enabled"] == .bool(false))
            // Off already: it takes the password only, and is done.
            #expect(try await client.send(.post, disable, json: #"{"password":"password123"}"#, headers: ann.bearer).status == .noContent)
        }
    }

    @Test func aSiteAdminTurnsItOffForSomeoneWhoLostTheirCodes() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            // The first account is the site admin.
            let root = try await client.signUp("root")
            let bob = try await client.signUp("bob")
            _ = try await Self.turnOn(client, parley, bob)
            try await Self.login(client, "bob").expectError(.unauthorized, "two_factor_required")

            func listed() async throws -> [String: JSON] {
                let users = try await client.send(.get, "/api/admin/users", headers: root.bearer).json()["users"]?.array ?? []
                return Dictionary(uniqueKeysWithValues: users.compactMap { u in u["user"]?["username"]?.string.map { ($0, u["two_factor"] ?? .null) } })
            }
            #expect(try await listed() == ["root": .bool(false), "bob": .bool(true)])
            try await client.send(.delete, "/api/admin/users/\(root.id)/two-factor", headers: bob.bearer).expectError(.forbidden, "not_site_admin")
            try await client.send(.delete, "/api/admin/users/\(root.id)/two-factor", headers: root.bearer).expectError(.conflict, "two_factor_disabled")
            try await client.send(.delete, "/api/admin/users/999999/two-factor", headers: root.bearer).expectError(.notFound, "user_not_found")
            #expect(try await client.send(.delete, "/api/admin/users/\(bob.id)/two-factor", headers: root.bearer).status == .noContent)
            #expect(try await Self.login(client, "bob").status == .ok)
            #expect(try parley.count("two_factor_recovery") == 0)
            #expect(try await listed() == ["root": .bool(false), "bob": .bool(false)])
            let log = try await client.send(.get, "/api/admin/log", headers: root.bearer).json()["entries"]?.array?.first
            #expect(log?["action"]?.string == "reset_two_factor" && log?["target_user"]?["id"]?.int == bob.id)

            // From the command line, for a site admin with nobody to turn it off for them.
            _ = try await Self.turnOn(client, parley, root)
            try await Self.login(client, "root").expectError(.unauthorized, "two_factor_required")
            #expect(try await turnOffTwoFactor(config: parley.config, username: "root") == "Two-factor authentication is off for root.")
            #expect(try await turnOffTwoFactor(config: parley.config, username: "root") == "root does not have two-factor authentication on.")
            await #expect(throws: ConfigError.self) { try await turnOffTwoFactor(config: parley.config, username: "nobody") }
            #expect(try await Self.login(client, "root").status == .ok)
            let entry = try #require(try await client.send(.get, "/api/admin/log", headers: root.bearer).json()["entries"]?.array?.first)
            #expect(entry["action"]?.string == "reset_two_factor" && entry["actor"] == .null && entry["reason"]?.string == "from the command line")
        }
    }

    @Test func badRequestsAreRefusedAndWriteNothing() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            try await client.send(.get, "/api/me/two-factor").expectError(.unauthorized, "unauthenticated")
            try await client.send(.post, "/api/me/two-factor", json: #"{"password":"password123"}"#).expectError(.unauthorized, "unauthenticated")
            for (path, json) in [
                ("/api/me/two-factor", "{}"), ("/api/me/two-factor", #"{"password":1}"#), ("/api/me/two-factor/confirm", #"{"code":123456}"#),
                ("/api/me/two-factor/disable", #"{"code":"123456"}"#), ("/api/me/two-factor/recovery-codes", "[]"),
            ] {
                try await client.send(.post, path, json: json, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.post, "/api/session", json: #"{"username":"ann","password":"password123","code":7}"#)
                .expectError(.badRequest, "invalid_request")
            #expect(try parley.count("two_factor") == 0)
            // A long code is no code (and is not hashed).
            _ = try await Self.turnOn(client, parley, ann)
            try await Self.login(client, "ann", code: String(repeating: "7", count: 100)).expectError(.unauthorized, "invalid_code")
        }
    }
}
