import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import NIOConcurrencyHelpers
import Parley
import Testing

/// Personal access tokens (`GET/POST /api/me/tokens`, `DELETE /api/me/tokens/{id}`).
@Suite struct AccessTokenTests {
    @Test func aTokenMadeWithThePasswordActsAsItsMakerUntilRevoked() async throws {
        let parley = try await TestParley.make { $0.sessionTTL = .seconds(3600) }
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let made = try await client.send(
                .post, "/api/me/tokens", json: #"{"name":"  deploy bot ","password":"password123","expires_in_days":30}"#, headers: ann.bearer)
            #expect(made.status == .created)
            let body = try made.json()
            let token = try #require(body["token"]?.string)
            #expect(token.count == 64)
            let info = try #require(body["access_token"])
            #expect(info.keys == ["id", "name", "created_at", "last_used_at", "expires_at"])
            #expect(info["name"] == .string("deploy bot"))
            #expect(info["last_used_at"] == .null)
            let expiresText = try #require(info["expires_at"]?.string)
            let expires = try #require(ParleyJSON.parseTimestamp(expiresText))
            #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 120)
            let id = try #require(info["id"]?.int)
            // Only the token's SHA-256 is kept.
            #expect(try parley.count("sessions", where: "name = 'deploy bot' AND token_hash = UNHEX(SHA2('\(token)', 256))") == 1)

            // It is Ann, as a bearer: it posts as her and reads her stream.
            let bot: HTTPFields = [.authorization: "Bearer \(token)"]
            let me = try await client.send(.get, "/api/session", headers: bot)
            #expect(try me.json()["user"]?["username"] == .string("ann"))
            let posted = try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"built and shipped"}"#, headers: bot)
            #expect(posted.status == .created)
            #expect(try posted.json()["message"]?["sender"]?["id"]?.int == ann.id)

            // Listed with the tokens, not with the sessions; its first use is recorded, its expiry stays.
            let listed = try #require(try await client.send(.get, "/api/me/tokens", headers: ann.bearer).json()["access_tokens"]?.array)
            #expect(listed.count == 1)
            #expect(listed[0]["id"]?.int == id)
            #expect(listed[0]["last_used_at"] != .null)
            #expect(listed[0]["expires_at"] == info["expires_at"])
            let sessions = try #require(try await client.send(.get, "/api/me/sessions", headers: ann.bearer).json()["sessions"]?.array)
            #expect(sessions.count == 1)
            // A use a while later does not slide a token's expiry, as it does a session's.
            try parley.execute("UPDATE sessions SET last_used_at = NOW(3) - INTERVAL 2 MINUTE WHERE id = ?", [id])
            #expect(try await client.send(.get, "/api/session", headers: bot).json()["expires_at"] == info["expires_at"])
            // Nobody else sees it or revokes it; the sessions route does not revoke it either.
            #expect(try await client.send(.get, "/api/me/tokens", headers: bob.bearer).json()["access_tokens"]?.array?.count == 0)
            try await client.send(.delete, "/api/me/tokens/\(id)", headers: bob.bearer).expectError(.notFound, "token_not_found")
            try await client.send(.delete, "/api/me/sessions/\(id)", headers: ann.bearer).expectError(.notFound, "session_not_found")
            let annSession = try #require(sessions[0]["id"]?.int)
            try await client.send(.delete, "/api/me/tokens/\(annSession)", headers: ann.bearer).expectError(.notFound, "token_not_found")
            try await client.send(.delete, "/api/me/tokens/abc", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            #expect(try await client.send(.get, "/api/session", headers: bot).status == .ok)

            #expect(try await client.send(.delete, "/api/me/tokens/\(id)", headers: ann.bearer).status == .noContent)
            try await client.send(.get, "/api/session", headers: bot).expectError(.unauthorized, "unauthenticated")
            try await client.send(.delete, "/api/me/tokens/\(id)", headers: ann.bearer).expectError(.notFound, "token_not_found")
            #expect(try await client.send(.get, "/api/session", headers: ann.bearer).status == .ok)
        }
    }

    /// A token is for the `Authorization` header: sent as the session cookie it is no session, on
    /// the ordinary routes and on the event routes (read on the event loop), before and after its
    /// session is cached by a bearer use.
    @Test func aTokenSentAsTheSessionCookieIsNoSession() async throws {
        let parley = try await TestParley.make()
        let made = NIOLockedValueBox("")
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let answer = try await client.send(
                .post, "/api/me/tokens", json: #"{"name":"bot","password":"password123","expires_in_days":30}"#, headers: ann.bearer)
            let token = try #require(try answer.json()["token"]?.string)
            made.withLockedValue { $0 = token }
            let asCookie: HTTPFields = [.cookie: "parley_session=\(token)"]
            for _ in 0..<2 {
                try await client.send(.get, "/api/session", headers: asCookie).expectError(.unauthorized, "unauthenticated")
                #expect(try await client.send(.get, "/api/events?timeout=0", headers: asCookie).status == .unauthorized)
                // Cached now: the same answers.
                #expect(try await client.send(.get, "/api/session", headers: [.authorization: "Bearer \(token)"]).status == .ok)
            }
            // Beside a live login cookie, the login counts.
            let both = try await client.send(.get, "/api/session", headers: [.cookie: "parley_session=\(token); \(ann.cookie)"])
            #expect(try both.json()["user"]?["id"]?.int == ann.id)
        }
        try await parley.live { live in
            let token = made.withLockedValue { $0 }
            let bearer = try await live.send(.GET, "/api/events?timeout=0", headers: [("Authorization", "Bearer \(token)")])
            #expect(bearer.status == 200)
            // (The stream reads its credentials by the same code; refused, it would not end.)
            let cookie = try await live.send(.GET, "/api/events?timeout=0", headers: [("Cookie", "parley_session=\(token)")])
            #expect(cookie.status == 401)
        }
    }

    @Test func makingATokenAsksThePasswordAndChecksItsNameExpiryAndCount() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let cid = try await client.signUp("cid")
            try await client.send(.post, "/api/me/tokens", json: #"{"name":"ci","password":"not-the-password"}"#, headers: cid.bearer)
                .expectError(.forbidden, "wrong_password")
            // The password with a NUL and more after it, or past 72 bytes, is not the password (bcrypt
            // reads up to either, and took them: a hunt), here as at login; nor for a room's password
            // or a change of one's own.
            for wrong in [#"password123\u0000x"#, "password123" + String(repeating: "x", count: 70)] {
                try await client.send(.post, "/api/me/tokens", json: #"{"name":"ci","password":"\#(wrong)"}"#, headers: cid.bearer)
                    .expectError(.forbidden, "wrong_password")
                try await client.send(.put, "/api/me/password", json: #"{"current_password":"\#(wrong)","new_password":"newpassword1"}"#, headers: cid.bearer)
                    .expectError(.forbidden, "wrong_password")
            }
            let locked = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"locked","password":"roompass1"}"#, headers: cid.bearer).json()["room"]?["id"]?.int)
            let dee = try await client.signUp("dee")
            try await client.send(.post, "/api/rooms/\(locked)/password", json: #"{"password":"roompass1\u0000x"}"#, headers: dee.bearer)
                .expectError(.forbidden, "wrong_password")
            #expect(try await client.send(.post, "/api/rooms/\(locked)/password", json: #"{"password":"roompass1"}"#, headers: dee.bearer).status == .ok)
            // Ten families are ten characters but seventy code points, and 64 accented e's written
            // with a combining accent are 128: neither fits the column.
            let family = String(repeating: "👨‍👩‍👧‍👦", count: 10)
            let accents = String(repeating: "e\u{301}", count: 64)
            for name in [#""   ""#, "\"\(String(repeating: "n", count: 65))\"", #""tab\there""#, "\"\(family)\"", "\"\(accents)\""] {
                try await client.send(.post, "/api/me/tokens", json: #"{"name":\#(name),"password":"password123"}"#, headers: cid.bearer)
                    .expectError(.unprocessableContent, "invalid_token_name")
            }
            for days in ["0", "3651", "-5"] {
                try await client.send(
                    .post, "/api/me/tokens", json: #"{"name":"ci","password":"password123","expires_in_days":\#(days)}"#, headers: cid.bearer
                ).expectError(.unprocessableContent, "invalid_token_expiry")
            }
            try await client.send(.post, "/api/me/tokens", json: #"{"name":"ci"}"#, headers: cid.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.post, "/api/me/tokens", json: #"{"name":"ci","password":"password123"}"#)
                .expectError(.unauthorized, "unauthenticated")
            // A cookie needs its CSRF token, as for every change.
            try await client.send(.post, "/api/me/tokens", json: #"{"name":"ci","password":"password123"}"#, headers: cid.cookieOnly)
                .expectError(.forbidden, "csrf_failed")
            #expect(try parley.count("sessions", where: "name IS NOT NULL") == 0)

            // Without an expiry it never expires.
            let forever = try await client.send(.post, "/api/me/tokens", json: #"{"name":"ci","password":"password123"}"#, headers: cid.cookieWithCSRF)
            #expect(forever.status == .created)
            #expect(try forever.json()["access_token"]?["expires_at"] == .null)
            // The session it opens says so too (not the far date its row carries).
            let foreverToken = try #require(try forever.json()["token"]?.string)
            let itself = try await client.send(.get, "/api/session", headers: [.authorization: "Bearer \(foreverToken)"])
            #expect(itself.status == .ok)
            #expect(try itself.json()["expires_at"] == .null)
            #expect(try await client.send(.get, "/api/session", headers: cid.bearer).json()["expires_at"]?.string != nil)
            // At most 50 live ones.
            try parley.execute(
                """
                INSERT INTO sessions (user_id, name, token_hash, csrf_token, created_at, last_used_at, expires_at)
                SELECT ?, CONCAT('t', seq), UNHEX(SHA2(CONCAT('t', seq), 256)), 'x', NOW(3), NOW(3), NOW(3) + INTERVAL 1 DAY FROM seq_1_to_49
                """, [cid.id])
            try await client.send(.post, "/api/me/tokens", json: #"{"name":"one more","password":"password123"}"#, headers: cid.bearer)
                .expectError(.conflict, "too_many_tokens")
            #expect(try parley.count("sessions", where: "name IS NOT NULL") == 50)
        }
    }

    @Test func changingThePasswordEndsEveryToken() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let dee = try await client.signUp("dee")
            let made = try await client.send(.post, "/api/me/tokens", json: #"{"name":"cron","password":"password123"}"#, headers: dee.bearer)
            let token = try #require(try made.json()["token"]?.string)
            let bot: HTTPFields = [.authorization: "Bearer \(token)"]
            #expect(try await client.send(.get, "/api/session", headers: bot).status == .ok)
            let changed = try await client.send(
                .put, "/api/me/password", json: #"{"current_password":"password123","new_password":"password456"}"#, headers: dee.bearer)
            #expect(changed.status == .noContent)
            try await client.send(.get, "/api/session", headers: bot).expectError(.unauthorized, "unauthenticated")
            #expect(try await client.send(.get, "/api/me/tokens", headers: dee.bearer).json()["access_tokens"]?.array?.count == 0)
        }
    }
}
