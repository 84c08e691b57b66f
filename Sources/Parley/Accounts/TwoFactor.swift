import Crypto
import Foundation
import Hummingbird
import MariaDB

/// Time-based one-time codes (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1 of the 30-second step
/// count, truncated to six digits, as every authenticator app makes them.
enum TOTP {
    static let period: Int64 = 30
    static let digits = 6
    /// Codes of the step before and after now are taken too: clocks drift, people type slowly.
    static let window: Int64 = 1

    static func step(at date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) / period }

    /// The step near `now` (within `window`) and later than `after` whose code is `typed`, if any.
    static func step(of typed: String, secret: [UInt8], after: Int64, now: Date = Date()) -> Int64? {
        guard typed.count == digits, typed.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let current = step(at: now)
        return ((current - window)...(current + window)).first { $0 > after && code(secret: secret, step: $0) == typed }
    }

    /// The code of `step` for `secret`, `digits` long with leading zeros.
    static func code(secret: [UInt8], step: Int64, digits: Int = TOTP.digits) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let number = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(number % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }
}

/// RFC 4648 base32 without padding: how authenticator apps take a key typed in or in a link.
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func encode(_ bytes: [UInt8]) -> String {
        var output = ""
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return output
    }
}

/// Two-factor authentication: a key set up with the caller's authenticator app, confirmed with a
/// code from it, then asked for (a code, or one of ten recovery codes) at every login.
struct TwoFactor: Sendable {
    /// Asks for passwords again; password and code guesses count against its login limit.
    let accounts: AccountService
    var pool: MariaDBPool { accounts.users.pool }
    /// The name authenticator apps show beside the account.
    static let issuer = "Parley"
    static let recoveryCodeCount = 10
    /// Recovery codes: two groups of five from this alphabet (base32 without the look-alikes
    /// 0/O and 1/l/I, which it lacks): 50 random bits each.
    static let recoveryAlphabet = Array("abcdefghijklmnopqrstuvwxyz234567")

    static let required = ParleyError(
        .unauthorized, "two_factor_required", "This account has two-factor authentication: send the code from your authenticator app as well.")
    static let invalidCode = ParleyError(.unauthorized, "invalid_code", "That code is wrong or was already used.")
    static let wrongCode = ParleyError(.forbidden, "invalid_code", "That code is wrong or was already used.")
    static let alreadyOn = ParleyError(.conflict, "two_factor_enabled", "Two-factor authentication is already on: turn it off first.")
    static let off = ParleyError(.conflict, "two_factor_disabled", "Two-factor authentication is not on for this account.")
    static let notSetUp = ParleyError(.conflict, "no_two_factor_setup", "Set up two-factor authentication first (POST /api/me/two-factor).")

    struct Status: Encodable, Sendable {
        let enabled: Bool
        let enabledAt: Date?
        let recoveryCodesLeft: Int

        enum CodingKeys: String, CodingKey { case enabled, enabledAt, recoveryCodesLeft }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(enabled, forKey: .enabled)
            try c.encode(enabledAt, forKey: .enabledAt)
            try c.encode(recoveryCodesLeft, forKey: .recoveryCodesLeft)
        }
    }

    struct Setup: Encodable, Sendable {
        let secret: String
        let otpauthUri: String
        let algorithm = "SHA1"
        let digits = TOTP.digits
        let period = TOTP.period
    }

    /// What the user typed, without spaces and dashes, lowercased.
    static func normalized(_ code: String) -> String {
        String(code.lowercased().filter { $0 != " " && $0 != "-" })
    }

    static func newRecoveryCodes() -> [String] {
        var generator = SystemRandomNumberGenerator()
        return (0..<recoveryCodeCount).map { _ in
            let characters = (0..<10).map { _ in recoveryAlphabet[Int.random(in: 0..<recoveryAlphabet.count, using: &generator)] }
            return String(characters[0..<5]) + "-" + String(characters[5...])
        }
    }

    /// Replaces the user's recovery codes with new ones; returns them (shown this once).
    static func storeRecoveryCodes(_ c: MariaDBConnection, userID: Int64) throws -> [String] {
        let codes = newRecoveryCodes()
        try c.execute("DELETE FROM two_factor_recovery WHERE user_id = ?", [userID])
        for code in codes {
            try c.execute("INSERT INTO two_factor_recovery (user_id, code_hash) VALUES (?, ?)", [userID, SessionService.hash(normalized(code))])
        }
        return codes
    }

    /// Whether `code` (from the authenticator, or a recovery code) is good for the user now; a good
    /// one is used up. The user's row is locked, so two logins cannot both spend the same code.
    static func spend(_ c: MariaDBConnection, userID: Int64, code: String, now: Date = Date()) throws -> Bool {
        let typed = normalized(code)
        guard
            let row = try c.query(
                "SELECT secret, last_step FROM two_factor WHERE user_id = ? AND confirmed_at IS NOT NULL FOR UPDATE", [userID]
            ).first
        else { return false }
        if typed.count == TOTP.digits {
            let after = try row.decode("last_step", as: Int64.self)
            guard let step = TOTP.step(of: typed, secret: try row.decode("secret", as: [UInt8].self), after: after, now: now) else { return false }
            try c.execute("UPDATE two_factor SET last_step = ? WHERE user_id = ?", [step, userID])
            return true
        }
        guard typed.count == 10, typed.unicodeScalars.allSatisfy({ $0.isASCII }) else { return false }
        return try c.execute(
            "DELETE FROM two_factor_recovery WHERE user_id = ? AND code_hash = ?", [userID, SessionService.hash(typed)]
        ).affectedRows == 1
    }

    /// At login, after the password: nothing for an account without two-factor authentication;
    /// `two_factor_required` without a code, `invalid_code` with a wrong or spent one.
    static func checkLogin(_ pool: MariaDBPool, userID: Int64, code: String?) async throws {
        try await pool.transaction { c in
            let enabled = try Self.isOn(c, userID: userID)
            guard enabled else { return }
            guard let code, !code.isEmpty else { throw Self.required }
            guard code.utf8.count <= 64, try Self.spend(c, userID: userID, code: code) else { throw Self.invalidCode }
        }
    }

    /// [twoFactor]
    func status(userID: Int64) async throws -> Status {
        try await pool.withConnection { c in
            let row = try c.query("SELECT confirmed_at FROM two_factor WHERE user_id = ? AND confirmed_at IS NOT NULL", [userID]).first
            let left = try c.query("SELECT COUNT(*) AS n FROM two_factor_recovery WHERE user_id = ?", [userID])[0].decode("n", as: Int.self)
            return Status(enabled: row != nil, enabledAt: try row?.decode("confirmed_at", as: Date.self), recoveryCodesLeft: row == nil ? 0 : left)
        }
    }

    /// [setUpTwoFactor] A new key for the caller (replacing one set up but not confirmed).
    func setUp(session: AuthenticatedSession, password: String) async throws -> Setup {
        try await accounts.checkPassword(session: session, password)
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let userID = session.user.id
        try await pool.transaction { c in
            if try Self.isOn(c, userID: userID, locking: true) {
                throw Self.alreadyOn
            }
            try c.execute(
                """
                INSERT INTO two_factor (user_id, secret, created_at) VALUES (?, ?, NOW(3))
                ON DUPLICATE KEY UPDATE secret = VALUES(secret), created_at = VALUES(created_at), last_step = 0
                """, [userID, secret])
        }
        let key = Base32.encode(secret)
        let label = "\(Self.issuer):\(session.user.username)"
        return Setup(
            secret: key,
            otpauthUri: "otpauth://totp/\(label)?secret=\(key)&issuer=\(Self.issuer)&algorithm=SHA1&digits=\(TOTP.digits)&period=\(TOTP.period)")
    }

    /// [confirmTwoFactor] Turns it on with a code from the app just set up; the recovery codes.
    func confirm(session: AuthenticatedSession, code: String) async throws -> [String] {
        try accounts.limits.loginPerUser.consume(session.user.username.lowercased())
        let userID = session.user.id
        return try await pool.transaction { c in
            guard let row = try c.query("SELECT secret, confirmed_at, last_step FROM two_factor WHERE user_id = ? FOR UPDATE", [userID]).first
            else { throw Self.notSetUp }
            if try row.decode("confirmed_at", as: Date?.self) != nil { throw Self.alreadyOn }
            guard let step = TOTP.step(of: Self.normalized(code), secret: try row.decode("secret", as: [UInt8].self), after: 0)
            else { throw Self.wrongCode }
            try c.execute("UPDATE two_factor SET confirmed_at = NOW(3), last_step = ? WHERE user_id = ?", [step, userID])
            return try Self.storeRecoveryCodes(c, userID: userID)
        }
    }

    /// [disableTwoFactor] Turns it off (or drops a setup never confirmed): the password, and a code
    /// when it is on.
    func disable(session: AuthenticatedSession, password: String, code: String?) async throws {
        try await accounts.checkPassword(session: session, password)
        let userID = session.user.id
        try await pool.transaction { c in
            let enabled = try Self.isOn(c, userID: userID, locking: true)
            if enabled {
                guard let code, code.utf8.count <= 64, try Self.spend(c, userID: userID, code: code) else { throw Self.wrongCode }
            }
            try Self.remove(c, userID: userID)
        }
    }

    /// [newRecoveryCodes] Ten new recovery codes in place of the old ones.
    func newRecoveryCodes(session: AuthenticatedSession, password: String) async throws -> [String] {
        try await accounts.checkPassword(session: session, password)
        let userID = session.user.id
        return try await pool.transaction { c in
            guard try Self.isOn(c, userID: userID, locking: true)
            else { throw Self.off }
            return try Self.storeRecoveryCodes(c, userID: userID)
        }
    }

    /// Whether the user has it on (a confirmed key); with `locking`, their row is locked until the
    /// transaction ends.
    static func isOn(_ c: MariaDBConnection, userID: Int64, locking: Bool = false) throws -> Bool {
        try c.query(
            "SELECT 1 AS x FROM two_factor WHERE user_id = ? AND confirmed_at IS NOT NULL\(locking ? " FOR UPDATE" : "")", [userID]
        ).first != nil
    }

    static func remove(_ c: MariaDBConnection, userID: Int64) throws {
        try c.execute("DELETE FROM two_factor WHERE user_id = ?", [userID])
        try c.execute("DELETE FROM two_factor_recovery WHERE user_id = ?", [userID])
    }

    /// [resetTwoFactor] A site admin turns it off for someone who lost their authenticator and
    /// recovery codes; logged in the site log.
    func reset(admin: AuthenticatedSession, userID: Int64) async throws {
        try await pool.transaction { c in
            guard try c.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [userID]).first != nil else {
                throw ParleyError.notFound("user_not_found", "No user has id \(userID).")
            }
            guard try Self.isOn(c, userID: userID)
            else { throw Self.off }
            try Self.remove(c, userID: userID)
            try ModerationService.record(c, room: nil, actor: admin.user.id, action: "reset_two_factor", user: userID)
        }
    }
}

/// The HTTP face of two-factor authentication: `twoFactor`, `setUpTwoFactor`, `confirmTwoFactor`,
/// `disableTwoFactor`, `newRecoveryCodes` and the site admin's `resetTwoFactor`.
struct TwoFactorController {
    let twoFactor: TwoFactor
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/two-factor", use: status)
        router.post("/api/me/two-factor", use: setUp)
        router.post("/api/me/two-factor/disable", use: disable)
        router.post("/api/me/two-factor/confirm", use: confirm)
        router.post("/api/me/two-factor/recovery-codes", use: newRecoveryCodes)
        router.delete("/api/admin/users/:user/two-factor", use: reset)
    }

    struct StatusAnswer: ResponseEncodable {
        let twoFactor: TwoFactor.Status
    }

    struct SetupAnswer: ResponseEncodable {
        let setup: TwoFactor.Setup
    }

    struct CodesAnswer: ResponseEncodable {
        let recoveryCodes: [String]
    }

    struct PasswordBody: Decodable {
        let password: String
    }

    struct CodeBody: Decodable {
        let code: String
    }

    struct DisableBody: Decodable {
        let password: String
        let code: String?
    }

    func status(request: Request, context: AppRequestContext) async throws -> StatusAnswer {
        let session = try context.requireSession()
        return StatusAnswer(twoFactor: try await twoFactor.status(userID: session.user.id))
    }

    func setUp(request: Request, context: AppRequestContext) async throws -> EditedResponse<SetupAnswer> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: PasswordBody.self, context: context, limit: maxBodyBytes)
        return EditedResponse(status: .created, headers: WebMiddleware.noStore, response: SetupAnswer(setup: try await twoFactor.setUp(session: session, password: body.password)))
    }

    func confirm(request: Request, context: AppRequestContext) async throws -> EditedResponse<CodesAnswer> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: CodeBody.self, context: context, limit: maxBodyBytes)
        return EditedResponse(headers: WebMiddleware.noStore, response: CodesAnswer(recoveryCodes: try await twoFactor.confirm(session: session, code: body.code)))
    }

    func disable(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: DisableBody.self, context: context, limit: maxBodyBytes)
        try await twoFactor.disable(session: session, password: body.password, code: body.code)
        return .noContent
    }

    func newRecoveryCodes(request: Request, context: AppRequestContext) async throws -> EditedResponse<CodesAnswer> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: PasswordBody.self, context: context, limit: maxBodyBytes)
        return EditedResponse(
            headers: WebMiddleware.noStore, response: CodesAnswer(recoveryCodes: try await twoFactor.newRecoveryCodes(session: session, password: body.password)))
    }

    func reset(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try AdminController.requireSiteAdmin(context)
        try await twoFactor.reset(admin: session, userID: try RoomController.id(context, "user"))
        return .noContent
    }
}
