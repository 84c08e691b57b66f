import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Registration, login, sessions, CSRF and password changes over the real router and database.
@Suite struct AccountTests {
    @Test func registeringReturnsTheNewUser() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let response = try await client.register("alice", displayName: "  Алиса 🌸  ")
            #expect(response.status == .created)
            let body = try response.json()
            #expect(body.keys == ["user"])
            let user = try #require(body["user"])
            #expect(user.keys == ["id", "username", "display_name", "site_role", "created_at", "avatar_url"])
            #expect(user["avatar_url"] == .null)
            // The first account of a new server is its site admin; later ones are users.
            #expect(user["site_role"] == .string("admin"))
            #expect(user["username"] == .string("alice"))
            #expect(user["display_name"] == .string("Алиса 🌸"))
            #expect(user["id"]?.int ?? 0 > 0)
            let created = try #require(user["created_at"]?.string)
            #expect(created.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
            // The display name defaults to the username.
            let bob = try await client.register("bob")
            #expect(try bob.json()["user"]?["display_name"] == .string("bob"))
            #expect(try bob.json()["user"]?["site_role"] == .string("user"))
        }
        let hash = try String(mariaDBValue: try parley.scalar("SELECT password_hash FROM users WHERE username = ?", ["alice"]))
        #expect(hash.hasPrefix("$2b$10$"))
        #expect(hash.count == 60)
        #expect(!hash.contains("password123"))
    }

    @Test func bcryptCostFollowsTheConfiguration() async throws {
        let parley = try await TestParley.make { $0.bcryptCost = 11 }
        try await parley.run { client in
            let response = try await client.register("carol")
            #expect(response.status == .created)
        }
        let hash = try String(mariaDBValue: try parley.scalar("SELECT password_hash FROM users"))
        #expect(hash.hasPrefix("$2b$11$"))
    }

    @Test func usernamesAreUniqueWithoutRegardToCase() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            #expect(try await client.register("Dave").status == .created)
            try await client.register("dAVE").expectError(.conflict, "username_taken")
            try await client.register("dave").expectError(.conflict, "username_taken")
        }
        #expect(try parley.count("users") == 1)
    }

    @Test(arguments: ["ab", String(repeating: "a", count: 33), "has space", "semi;colon", "émile", "", "名前名前", "a/b"])
    func invalidUsernamesAreRefused(username: String) async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            try await client.register(username).expectError(.unprocessableContent, "invalid_username")
        }
        #expect(try parley.count("users") == 0)
    }

    @Test func usernameEdgesAreAccepted() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            for name in ["abc", String(repeating: "z", count: 32), "a.b-c_D9"] {
                let response = try await client.register(name)
                #expect(response.status == .created)
            }
        }
        #expect(try parley.count("users") == 3)
    }

    @Test func passwordLengthIsCheckedInBytes() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            try await client.register("short", password: "1234567").expectError(.unprocessableContent, "invalid_password")
            try await client.register("nulbyte", password: "abcd\u{0}efgh").expectError(.unprocessableContent, "invalid_password")
            // 73 bytes: refused, never silently truncated to 72.
            try await client.register("long1", password: String(repeating: "x", count: 73)).expectError(.unprocessableContent, "password_too_long")
            // 25 three-byte characters are 75 bytes although only 25 characters.
            try await client.register("long2", password: String(repeating: "€", count: 25)).expectError(.unprocessableContent, "password_too_long")
            #expect(try await client.register("exact", password: String(repeating: "€", count: 24)).status == .created)
            #expect(try await client.register("eight", password: "12345678").status == .created)
            // The full 72 bytes matter: a password differing only in its last byte does not log in.
            let full = String(repeating: "k", count: 71) + "A"
            #expect(try await client.register("full72", password: full).status == .created)
            try await client.login("full72", password: String(repeating: "k", count: 71) + "B").expectError(.unauthorized, "invalid_credentials")
            #expect(try await client.login("full72", password: full).status == .ok)
        }
        #expect(try parley.count("users") == 3)
    }

    /// A password matches in either Unicode form it is typed in (macOS and iOS may send "é" as "e"
    /// and a combining accent): the NFD form of a password registered in NFC was refused (a hunt).
    /// A hash made before passwords were composed still takes the password as it was typed then.
    @Test func aPasswordMatchesComposedOrDecomposed() async throws {
        let parley = try await TestParley.make()
        let composed = "caf\u{E9} cr\u{E8}me"
        let decomposed = "cafe\u{301} cre\u{300}me"
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        try await parley.run { client in
            #expect(try await client.register("nfc", password: composed).status == .created)
            #expect(try await client.login("nfc", password: decomposed).status == .ok)
            #expect(try await client.login("nfc", password: composed).status == .ok)
            #expect(try await client.register("nfd", password: decomposed).status == .created)
            #expect(try await client.login("nfd", password: composed).status == .ok)
            try await client.login("nfd", password: "cafe cr\u{E8}me").expectError(.unauthorized, "invalid_credentials")
            // bcrypt (cost 4) of the decomposed bytes, as the server stored them before.
            try parley.execute(
                "UPDATE users SET password_hash = ? WHERE username = 'nfd'", ["$2b$04$I1B..jYQOf/iRZ4EjdhnweZcyd5ted9BeGKQrjsIYEa1We908aDPe"])
            #expect(try await client.login("nfd", password: decomposed).status == .ok)
            // A room's password likewise.
            let owner = try await client.logIn("nfc", password: composed)
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"accents","password":"\#(composed)"}"#, headers: owner.bearer)
                    .json()["room"]?["id"]?.int)
            let guest = try await client.logIn("nfd", password: decomposed)
            let joined = try await client.send(
                .post, "/api/rooms/\(room)/password", json: #"{"password":"\#(decomposed)"}"#, headers: guest.bearer)
            #expect(joined.status == .ok || joined.status == .created, "\(String(buffer: joined.body))")
        }
    }

    @Test func displayNamesAreValidated() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            try await client.register("dn1", displayName: "   ").expectError(.unprocessableContent, "invalid_display_name")
            try await client.register("dn2", displayName: String(repeating: "a", count: 65)).expectError(.unprocessableContent, "invalid_display_name")
            try await client.register("dn3", displayName: "tab\u{7}bell").expectError(.unprocessableContent, "invalid_display_name")
            // Invisible formatting: a right-to-left override, a zero-width space, a byte-order mark.
            for (n, name) in ["evil\u{202E}gnp.exe", "a\u{200B}b", "\u{FEFF}admin"].enumerated() {
                try await client.register("dn\(n + 4)", displayName: name).expectError(.unprocessableContent, "invalid_display_name")
            }
            // Joiners inside an emoji sequence are not.
            #expect(try await client.register("dn9", displayName: "Ann \u{1F469}\u{200D}\u{1F4BB}").status == .created)
            let emoji = String(repeating: "👩‍👩‍👧", count: 64)
            let ok = try await client.register("dn4", displayName: emoji)
            #expect(ok.status == .created)
            #expect(try ok.json()["user"]?["display_name"] == .string(emoji))
        }
        #expect(try parley.count("users") == 2)
    }

    @Test func loginSetsASecureSessionCookieAndReturnsTokens() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.register("erin")
            let response = try await client.login("ERIN")
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body.keys == ["user", "token", "csrf_token", "expires_at"])
            #expect(body["user"]?["username"] == .string("erin"))
            let token = try #require(body["token"]?.string)
            #expect(token.count == 64)
            #expect(try #require(body["csrf_token"]?.string).count == 64)
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.hasPrefix("parley_session=\(token);"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Path=/"))
            #expect(cookie.contains("Max-Age=2592000"))
            #expect(!cookie.contains("Secure"))
            // 30 days from now.
            let expiresText = try #require(body["expires_at"]?.string)
            let expires = try #require(ParleyJSON.parseTimestamp(expiresText))
            #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 120)
        }
        // Only the token's SHA-256 is stored.
        let stored = try [UInt8](mariaDBValue: try parley.scalar("SELECT token_hash FROM sessions"))
        #expect(stored.count == 32)
    }

    @Test func cookieIsSecureWhenConfigured() async throws {
        let parley = try await TestParley.make { $0.secureCookies = true }
        try await parley.run { client in
            _ = try await client.register("frank")
            let cookie = try #require(try await client.login("frank").headers[.setCookie])
            #expect(cookie.contains("; Secure"))
        }
    }

    @Test func wrongPasswordAndUnknownUserGetTheSameAnswer() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.register("gina")
            let wrong = try await client.login("gina", password: "not-the-password")
            let unknown = try await client.login("nobody-here", password: "not-the-password")
            wrong.expectError(.unauthorized, "invalid_credentials")
            unknown.expectError(.unauthorized, "invalid_credentials")
            #expect(wrong.body == unknown.body)
            #expect(wrong.headers[.setCookie] == nil)
        }
        #expect(try parley.count("sessions") == 0)
    }

    @Test func unknownUserLoginCostsABcryptVerification() async throws {
        // Without a decoy hash an unknown user answers in ~1 ms against ~50 ms for a wrong password.
        // Compare medians of several tries: the unknown-user path must cost at least a quarter as
        // much (with a decoy both cost one bcrypt verification; other suites running alongside make
        // single tries vary twofold, so the bound leaves room for that and still catches the ~50x).
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.register("hank")
            // Interleave the two kinds so that load from other tests hits both alike.
            var known: [Duration] = []
            var unknownSamples: [Duration] = []
            for _ in 0..<7 {
                for (username, isKnown) in [("hank", true), ("nobody-at-all", false)] {
                    let start = ContinuousClock.now
                    _ = try await client.login(username, password: "wrong-password")
                    if isKnown { known.append(ContinuousClock.now - start) } else { unknownSamples.append(ContinuousClock.now - start) }
                }
            }
            let unknown = unknownSamples.sorted()[3]
            let knownMedian = known.sorted()[3]
            #expect(unknown * 4 > knownMedian, "unknown user \(unknown) vs wrong password \(knownMedian)")
        }
    }

    @Test func checkLoginAnswersForCookieAndBearer() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ivy = try await client.signUp("ivy")
            for headers in [ivy.cookieOnly, ivy.bearer] {
                let response = try await client.send(.get, "/api/session", headers: headers)
                #expect(response.status == .ok)
                let body = try response.json()
                #expect(body.keys == ["user", "csrf_token", "expires_at"])
                #expect(body["user"]?["id"]?.int == ivy.id)
                #expect(body["csrf_token"]?.string == ivy.csrf)
            }
            try await client.send(.get, "/api/session").expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/session", headers: [.cookie: "parley_session=\(String(repeating: "0", count: 64))"])
                .expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/session", headers: [.cookie: "parley_session=garbage"]).expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/session", headers: [.authorization: "Bearer nope"]).expectError(.unauthorized, "unauthenticated")
            // Another scheme is not Parley's (a proxy's own login passes it on): ignored, so the
            // cookie counts and routes that need no session answer (every request was refused).
            try await client.send(.get, "/api/session", headers: [.authorization: "Basic abc"]).expectError(.unauthorized, "unauthenticated")
            var proxied = ivy.cookieOnly
            proxied[.authorization] = "Basic dTpw"
            #expect(try await client.send(.get, "/api/session", headers: proxied).json()["user"]?["id"]?.int == ivy.id)
            #expect(try await client.send(.get, "/healthz", headers: [.authorization: "Basic dTpw"]).status == .ok)
            // The health probes read no credentials at all, so no session lookup (in the database)
            // decides a probe's answer: a probe with a token answered 503 while the database
            // restarted (a hunt).
            for probe in ["/healthz", "/readyz"] {
                #expect(try await client.send(.get, probe, headers: [.authorization: "Bearer nope"]).status == .ok, "\(probe)")
                #expect(try await client.send(.get, probe, headers: [.cookie: "parley_session=garbage"]).status == .ok, "\(probe)")
            }
            #expect(try await client.send(.get, "/api/settings", headers: [.authorization: "Basic dTpw"]).status == .ok)
        }
    }

    @Test func logoutDeletesTheSessionServerSide() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let jo = try await client.signUp("joe")
            let response = try await client.send(.delete, "/api/session", headers: jo.cookieWithCSRF)
            #expect(response.status == .noContent)
            let cleared = try #require(response.headers[.setCookie])
            #expect(cleared.hasPrefix("parley_session=;"))
            #expect(cleared.contains("Max-Age=0"))
            // The same token is dead everywhere, cookie or bearer.
            try await client.send(.get, "/api/session", headers: jo.bearer).expectError(.unauthorized, "unauthenticated")
            try await client.send(.get, "/api/session", headers: jo.cookieOnly).expectError(.unauthorized, "unauthenticated")
            try await client.send(.delete, "/api/session", headers: jo.cookieWithCSRF).expectError(.unauthorized, "unauthenticated")
        }
        #expect(try parley.count("sessions") == 0)
    }

    @Test func cookieRequestsThatChangeStateNeedTheCSRFToken() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let kim = try await client.signUp("kim")
            try await client.send(.delete, "/api/session", headers: kim.cookieOnly).expectError(.forbidden, "csrf_failed")
            var wrong = kim.cookieOnly
            wrong[.init("X-CSRF-Token")!] = String(repeating: "a", count: 64)
            try await client.send(.delete, "/api/session", headers: wrong).expectError(.forbidden, "csrf_failed")
            let password = #"{"current_password":"password123","new_password":"password456"}"#
            try await client.send(.put, "/api/me/password", json: password, headers: kim.cookieOnly).expectError(.forbidden, "csrf_failed")
            // Refused requests changed nothing: the session lives and the old password still works.
            #expect(try await client.send(.get, "/api/session", headers: kim.cookieOnly).status == .ok)
            #expect(try await client.login("kim").status == .ok)
            // Reads need no token; bearer requests need none either.
            #expect(try await client.send(.get, "/api/me/sessions", headers: kim.cookieOnly).status == .ok)
            #expect(try await client.send(.delete, "/api/session", headers: kim.bearer).status == .noContent)
        }
    }

    @Test func changingThePasswordRevokesOtherSessions() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let laptop = try await client.signUp("lee")
            let phone = try await client.logIn("lee")
            try await client.send(.put, "/api/me/password", json: #"{"current_password":"nope-nope","new_password":"password456"}"#, headers: laptop.bearer)
                .expectError(.forbidden, "wrong_password")
            try await client.send(
                .put, "/api/me/password", json: #"{"current_password":"password123","new_password":"\#(String(repeating: "y", count: 73))"}"#,
                headers: laptop.bearer
            ).expectError(.unprocessableContent, "password_too_long")
            try await client.send(.put, "/api/me/password", json: #"{"current_password":"password123","new_password":"short"}"#, headers: laptop.bearer)
                .expectError(.unprocessableContent, "invalid_password")
            #expect(try await client.send(.get, "/api/session", headers: phone.bearer).status == .ok)

            let changed = try await client.send(
                .put, "/api/me/password", json: #"{"current_password":"password123","new_password":"password456"}"#, headers: laptop.cookieWithCSRF)
            #expect(changed.status == .noContent)
            #expect(try await client.send(.get, "/api/session", headers: laptop.bearer).status == .ok)
            try await client.send(.get, "/api/session", headers: phone.bearer).expectError(.unauthorized, "unauthenticated")
            try await client.login("lee").expectError(.unauthorized, "invalid_credentials")
            #expect(try await client.login("lee", password: "password456").status == .ok)
        }
    }

    /// The API's answers carry private data: no shared cache may keep them (a hunt found none said
    /// so), while files and pictures keep their own long-lived caching.
    @Test func apiAnswersAreNotForSharedCaches() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let kim = try await client.signUp("kim")
            for path in ["/api/me", "/api/rooms/1/messages", "/api/users/\(kim.id)", "/api/me/summary", "/api/rooms"] {
                let answer = try await client.send(.get, path, headers: kim.bearer)
                #expect(answer.status == .ok, "\(path)")
                #expect(answer.headers[.cacheControl] == "private, no-cache", "\(path)")
            }
            #expect(try await client.send(.get, "/healthz").headers[.cacheControl] == nil)
        }
    }

    /// An answer carrying a credential or a secret shown once is kept by no cache at all, the
    /// browser's own included (`no-store`): `private, no-cache` let a browser store the session
    /// token, the TOTP secret and the recovery codes on disk (a hunt).
    @Test func answersCarryingSecretsAreNotStored() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let root = try await client.signUp("root")
            let kim = try await client.signUp("kim")
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"ops"}"#, headers: root.bearer).json()["room"]?["id"]?.int)
            let login = try await client.send(.post, "/api/session", json: #"{"username":"kim","password":"password123"}"#)
            let setup = try await client.send(.post, "/api/me/two-factor", json: #"{"password":"password123"}"#, headers: kim.bearer)
            let answers: [(String, HTTPResponse.Status, TestResponse)] = [
                ("login", .ok, login),
                ("checkLogin", .ok, try await client.send(.get, "/api/session", headers: kim.bearer)),
                ("createAccessToken", .created,
                 try await client.send(.post, "/api/me/tokens", json: #"{"name":"bot","password":"password123"}"#, headers: kim.bearer)),
                ("setUpTwoFactor", .created, setup),
                ("confirmTwoFactor", .ok,
                 try await client.send(
                    .post, "/api/me/two-factor/confirm", json: #"{"code":"\#(try TwoFactorTests.code(parley, kim))"}"#, headers: kim.bearer)),
                ("newRecoveryCodes", .ok,
                 try await client.send(.post, "/api/me/two-factor/recovery-codes", json: #"{"password":"password123"}"#, headers: kim.bearer)),
                ("createPasswordReset", .created, try await client.send(.post, "/api/admin/users/\(kim.id)/password-reset", headers: root.bearer)),
                ("createWebhook", .created, try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"CI"}"#, headers: root.bearer)),
            ]
            for (name, status, answer) in answers {
                #expect(answer.status == status, "\(name): \(String(buffer: answer.body))")
                #expect(answer.headers[.cacheControl] == "no-store", "\(name)")
            }
            // A refusal carries nothing secret and keeps the API's rule.
            let refused = try await client.send(.post, "/api/session", json: #"{"username":"kim","password":"nope-nope"}"#)
            #expect(refused.status == .unauthorized && refused.headers[.cacheControl] == "private, no-cache")
        }
    }

    /// A stale session cookie sent beside the live one (set by another path or domain) does not sign
    /// its user out, whichever comes first; a request with only stale ones is anonymous.
    @Test func aStaleSessionCookieBesideTheLiveOneIsPassedOver() async throws {
        let parley = try await TestParley.make()
        let stale = "parley_session=" + String(repeating: "ab", count: 32)
        try await parley.run { client in
            let kim = try await client.signUp("kim")
            for cookie in ["\(stale); \(kim.cookie)", "parley_session=bad; \(kim.cookie)", "\(kim.cookie); \(stale)"] {
                let answer = try await client.send(.get, "/api/session", headers: [.cookie: cookie])
                let id = try answer.json()["user"]?["id"]?.int
                #expect(answer.status == .ok && id == kim.id, "\(cookie)")
                #expect(try await client.send(.get, "/api/events?timeout=0", headers: [.cookie: cookie]).status == .ok, "\(cookie)")
                // A write still needs the live session's CSRF token.
                let write = try await client.send(.put, "/api/me/status", json: #"{"text":"here"}"#, headers: [.cookie: cookie, .init("X-CSRF-Token")!: kim.csrf])
                #expect(write.status == .ok, "\(cookie)")
            }
            try await client.send(.get, "/api/session", headers: [.cookie: "\(stale); parley_session=bad"]).expectError(.unauthorized, "unauthenticated")
        }
        // The event routes, which read the cookie on the event loop, the same.
        try await parley.live { live in
            let kim = try await live.send(.POST, "/api/session", json: #"{"username":"kim","password":"password123"}"#)
            let cookie = try #require(kim.headers["Set-Cookie"].first?.split(separator: ";").first.map(String.init))
            for cookies in ["\(stale); \(cookie)", "\(cookie); \(stale)"] {
                let polled = try await live.send(.GET, "/api/events?timeout=0", headers: [("Cookie", cookies)])
                #expect(polled.status == 200, "\(cookies): \(polled.text)")
            }
            #expect(try await live.send(.GET, "/api/events?timeout=0", headers: [("Cookie", stale)]).status == 401)
        }
    }

    /// Two devices changing the password at once: the change that comes second finds its current
    /// password replaced and is refused, so the first device stays signed in with a password that works.
    @Test func ofTwoPasswordChangesAtOnceTheSecondIsRefused() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let laptop = try await client.signUp("lee")
            let phone = try await client.logIn("lee")
            // Both check the current password, then wait for the account's row (held here) to write.
            let other = try MariaDBConnection(configuration: try MariaDBConfiguration(url: parley.databaseURL))
            defer { other.close() }
            try other.executeText("START TRANSACTION")
            _ = try other.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [laptop.id])
            let changes = [(laptop, "password456"), (phone, "password789")].map { device, new in
                Task { try await client.send(.put, "/api/me/password", json: #"{"current_password":"password123","new_password":"\#(new)"}"#, headers: device.bearer) }
            }
            try await Task.sleep(for: .milliseconds(500))
            try other.executeText("COMMIT")
            var answers: [TestResponse] = []
            for change in changes { answers.append(try await change.value) }
            let won = try #require(answers.firstIndex { $0.status == .noContent }, "\(answers.map(\.status))")
            answers[1 - won].expectError(.forbidden, "wrong_password")
            let (winner, loser, password) = won == 0 ? (laptop, phone, "password456") : (phone, laptop, "password789")
            #expect(try await client.send(.get, "/api/session", headers: winner.bearer).status == .ok)
            try await client.send(.get, "/api/session", headers: loser.bearer).expectError(.unauthorized, "unauthenticated")
            #expect(try await client.login("lee", password: password).status == .ok)
            try await client.login("lee", password: won == 0 ? "password789" : "password456").expectError(.unauthorized, "invalid_credentials")
        }
    }

    @Test func sessionsCanBeListedAndRevokedOneByOne() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let first = try await client.signUp("max")
            let second = try await client.logIn("max", headers: [.userAgent: "ParleyPhone/1.0"])
            let other = try await client.signUp("nia")
            let list = try await client.send(.get, "/api/me/sessions", headers: second.bearer)
            #expect(list.status == .ok)
            let sessions = try #require(try list.json()["sessions"]?.array)
            #expect(sessions.count == 2)
            #expect(sessions[0]["current"] == .bool(true))
            #expect(sessions[0]["user_agent"] == .string("ParleyPhone/1.0"))
            #expect(sessions[1]["current"] == .bool(false))
            #expect(sessions[0].keys == ["id", "created_at", "last_used_at", "expires_at", "user_agent", "ip", "current"])
            let firstID = try #require(sessions[1]["id"]?.int)

            // Someone else's session is "not found", and stays alive.
            let otherID = try #require(try await client.send(.get, "/api/me/sessions", headers: other.bearer).json()["sessions"]?[0]?["id"]?.int)
            try await client.send(.delete, "/api/me/sessions/\(otherID)", headers: second.bearer).expectError(.notFound, "session_not_found")
            #expect(try await client.send(.get, "/api/session", headers: other.bearer).status == .ok)
            try await client.send(.delete, "/api/me/sessions/abc", headers: second.bearer).expectError(.badRequest, "invalid_request")

            #expect(try await client.send(.delete, "/api/me/sessions/\(firstID)", headers: second.bearer).status == .noContent)
            try await client.send(.get, "/api/session", headers: first.bearer).expectError(.unauthorized, "unauthenticated")
            try await client.send(.delete, "/api/me/sessions/\(firstID)", headers: second.bearer).expectError(.notFound, "session_not_found")
            #expect(try await client.send(.get, "/api/me/sessions", headers: second.bearer).json()["sessions"]?.array?.count == 1)
        }
    }

    @Test func sessionsExpireAndSlide() async throws {
        let parley = try await TestParley.make { $0.sessionTTL = .seconds(3600) }
        try await parley.run { client in
            let olga = try await client.signUp("olga")
            let pat = try await client.signUp("pat")
            // A session last used two minutes ago slides forward on its next use.
            try parley.execute(
                "UPDATE sessions SET last_used_at = NOW(3) - INTERVAL 2 MINUTE, expires_at = NOW(3) + INTERVAL 10 MINUTE WHERE user_id = ?", [olga.id])
            let slid = try await client.send(.get, "/api/session", headers: olga.bearer)
            let expiresText = try #require(try slid.json()["expires_at"]?.string)
            let expires = try #require(ParleyJSON.parseTimestamp(expiresText))
            #expect(abs(expires.timeIntervalSinceNow - 3600) < 60)
            // An expired session is refused.
            try parley.execute("UPDATE sessions SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE user_id = ?", [pat.id])
            try await client.send(.get, "/api/session", headers: pat.bearer).expectError(.unauthorized, "unauthenticated")
        }
    }
}

/// Many people registering and logging in at once.
@Suite struct ConcurrentAccountTests {
    @Test func fortyConcurrentRegistrationsAllSucceedWithOneAdmin() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            _ = try await client.signUp("founder")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for n in 0..<40 { group.addTask { try await client.register("crowd\(n)").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created }, "\(statuses)")
        }
        #expect(try parley.count("users") == 41)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM users WHERE site_role = 'admin'")) == 1)
        #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM room_members WHERE room_id = 1")) == 41)
    }
}

/// Deactivating one's own account (`POST /api/me/deactivate`).
@Suite struct SelfDeactivationTests {
    @Test func aUserDeactivatesTheirOwnAccountWithTheirPasswordAndEveryStreamEnds() async throws {
        let parley = try await TestParley.make()
        try await parley.live { live in
            let root = try await live.signUp("root")
            let alice = try await live.signUp("alice")
            let other = try await live.logIn("alice")
            let watcher = try await live.stream(root.token)
            let stream = try await live.stream(other)
            let aliceSeen = { (e: LiveClient.SSEEvent) in e.event == "presence" && e.json?["data"]?["user"]?["username"] == .string("alice") }
            #expect(await watcher.waitFor(1, where: aliceSeen).first?.json?["data"]?["status"] == .string("online"))
            _ = try await live.post(alice.token, room: 1, text: "my last words")

            // The password is asked again; a wrong one changes nothing.
            let wrong = try await live.send(.POST, "/api/me/deactivate", json: #"{"password":"not-it"}"#, token: alice.token)
            #expect(wrong.status == 403 && wrong.body?["error"]?["code"]?.string == "wrong_password")
            #expect(try await live.send(.POST, "/api/me/deactivate", json: #"{}"#, token: alice.token).status == 400)
            #expect(try parley.scalar("SELECT deactivated_at FROM users WHERE id = ?", [alice.id]) == .null)

            let done = try await live.send(.POST, "/api/me/deactivate", json: #"{"password":"password123"}"#, token: alice.token)
            #expect(done.status == 204, "\(done.text)")
            #expect(done.headers["Set-Cookie"].first?.lowercased().contains("max-age=0") == true)
            // Every session ends: this one, and the other device's stream after its event.
            #expect(try await live.send(.GET, "/api/session", token: alice.token).status == 401)
            #expect(try await live.send(.GET, "/api/session", token: other).status == 401)
            let events = await stream.waitFor(1) { $0.event == "account.deactivated" }
            #expect(events.first?.json?["data"]?["user_id"]?.int == alice.id)
            let deadline = ContinuousClock.now + .seconds(5)
            while !stream.isEnded && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            #expect(stream.isEnded)
            // Others see them offline at once, not after the minute of grace a dropped connection gets.
            #expect(await watcher.waitFor(2, within: 5, where: aliceSeen).last?.json?["data"]?["status"] == .string("offline"))
            let members = try await live.send(.GET, "/api/rooms/1/members", token: root.token).body?["members"]?.array ?? []
            #expect(members.first { $0["user"]?["username"] == .string("alice") }?["online"] == .bool(false))
            await watcher.close()
            let login = try await live.send(.POST, "/api/session", json: #"{"username":"alice","password":"password123"}"#)
            #expect(login.status == 403 && login.body?["error"]?["code"]?.string == "account_deactivated")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?", [alice.id])) == 0)
            #expect(try parley.scalar("SELECT action FROM moderation_log WHERE target_user_id = ?", [alice.id]) == .string("deactivate_self"))
            // Their messages stay, and a site admin may bring the account back.
            let history = try await live.send(.GET, "/api/rooms/1/messages", token: root.token)
            #expect(history.body?["messages"]?.array?.contains { $0["text"]?.string == "my last words" } == true)
            #expect(try await live.send(.POST, "/api/admin/users/\(alice.id)/reactivate", token: root.token).status == 204)
            #expect(try await live.send(.POST, "/api/session", json: #"{"username":"alice","password":"password123"}"#).status == 200)

            // The only site admin cannot leave the server without one.
            let last = try await live.send(.POST, "/api/me/deactivate", json: #"{"password":"password123"}"#, token: root.token)
            #expect(last.status == 409 && last.body?["error"]?["code"]?.string == "last_site_admin")
            #expect(try parley.scalar("SELECT deactivated_at FROM users WHERE id = ?", [root.id]) == .null)
            #expect(try await live.send(.POST, "/api/me/deactivate", json: #"{"password":"password123"}"#).status == 401)
        }
    }

    /// A client that keeps using its session keeps it, however short the sessions' lifetime.
    @Test func aShortLivedSessionInUseStaysAlive() async throws {
        // (Ten seconds: a loaded machine may take a few between two of these requests.)
        let parley = try await TestParley.make { $0.sessionTTL = .seconds(10) }
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            for _ in 0..<8 {
                try await Task.sleep(for: .seconds(2))
                #expect(try await client.send(.get, "/api/session", headers: ann.bearer).status == .ok)
            }
        }
    }

}
