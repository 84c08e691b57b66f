import Foundation
import Testing
import TestSupport

@testable import MariaDB

/// The client library against a real MariaDB server.
@Suite struct MariaDBClientTests {
    let pool: MariaDBPool

    init() async throws {
        pool = MariaDBPool(configuration: try MariaDBConfiguration(url: try await TestDatabase.freshDatabaseURL(prefix: "client")), maxConnections: 8)
        try await pool.withConnection { connection in
            try connection.executeText(
                """
                CREATE TABLE IF NOT EXISTS samples (
                    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    i BIGINT NULL, u BIGINT UNSIGNED NULL, d DOUBLE NULL, b TINYINT(1) NULL,
                    s MEDIUMTEXT NULL, v VARCHAR(255) NULL, bl LONGBLOB NULL, dt DATETIME(3) NULL,
                    code VARCHAR(32) NULL, UNIQUE KEY samples_code (code)
                ) ENGINE=InnoDB
                """)
        }
    }

    @Test func everyParameterTypeRoundTrips() async throws {
        let date = Date(timeIntervalSince1970: 1_795_000_123.456)
        let binary: [UInt8] = [0, 1, 0, 255, 0, 0x7f, 0]
        let text = "héllo 😀 世界 \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"
        let inserted = try await pool.execute(
            "INSERT INTO samples (i, u, d, b, s, v, bl, dt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [Int64.min, UInt64.max, 3.25, true, text, "", binary, date])
        #expect(inserted.affectedRows == 1)
        #expect(inserted.lastInsertID > 0)
        let rows = try await pool.query("SELECT * FROM samples WHERE id = ?", [Int(inserted.lastInsertID)])
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(try row.decode("i", as: Int64.self) == Int64.min)
        #expect(try row.decode("u", as: UInt64.self) == UInt64.max)
        #expect(try row.decode("d", as: Double.self) == 3.25)
        #expect(try row.decode("b", as: Bool.self) == true)
        #expect(try row.decode("s", as: String.self) == text)
        #expect(try row.decode("v", as: String.self) == "")
        #expect(try row.decode("bl", as: [UInt8].self) == binary)
        #expect(try row.decode("bl", as: Data.self) == Data(binary))
        #expect(try row.decode("dt", as: Date.self) == date)
        #expect(try row.decode("code", as: String?.self) == nil)
    }

    @Test func nullsAndOptionalsRoundTrip() async throws {
        let none: String? = nil
        let id = try await pool.execute("INSERT INTO samples (i, s, dt, bl) VALUES (?, ?, ?, ?)", [Int?.none, none, Date?.none, MariaDBValue.null])
            .lastInsertID
        let row = try #require(try await pool.query("SELECT i, s, dt, bl FROM samples WHERE id = ?", [id]).first)
        #expect(row["i"] == .null)
        #expect(try row.decode("i", as: Int?.self) == nil)
        #expect(try row.decode("s", as: String?.self) == nil)
        #expect(try row.decode("dt", as: Date?.self) == nil)
        #expect(throws: MariaDBError.self) { try row.decode("i", as: Int.self) }
        #expect(throws: MariaDBError.self) { try row.decode("missing", as: Int.self) }
    }

    @Test func largeTextAndBinaryRoundTrip() async throws {
        let large = String(repeating: "abc😀", count: 300_000)
        var blob = [UInt8](repeating: 0, count: 3_000_000)
        for i in stride(from: 0, to: blob.count, by: 7) { blob[i] = UInt8(i % 251) }
        let id = try await pool.execute("INSERT INTO samples (s, bl) VALUES (?, ?)", [large, blob]).lastInsertID
        let row = try #require(try await pool.query("SELECT s, bl FROM samples WHERE id = ?", [id]).first)
        #expect(try row.decode("s", as: String.self) == large)
        #expect(try row.decode("bl", as: [UInt8].self) == blob)
    }

    @Test func datesKeepMillisecondsInUTC() async throws {
        let dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.999),  // 2000-02-29
            Date(timeIntervalSince1970: 4_102_444_799.001), Date(timeIntervalSince1970: -86_400.5),
        ]
        for date in dates {
            let row = try #require(try await pool.query("SELECT CAST(? AS DATETIME(3)) AS d, DATE_FORMAT(?, '%Y-%m-%d %H:%i:%s.%f') AS f", [date, date]).first)
            #expect(try row.decode("d", as: Date.self) == date)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withFractionalSeconds, .withSpaceBetweenDateAndTime]
            formatter.timeZone = TimeZone(identifier: "UTC")
            #expect(try row.decode("f", as: String.self).prefix(23) == formatter.string(from: date).prefix(23))
        }
        // NOW() is UTC because every connection sets time_zone to +00:00.
        let now = try #require(try await pool.query("SELECT NOW(3) AS now").first).decode("now", as: Date.self)
        #expect(abs(now.timeIntervalSinceNow) < 5)
    }

    @Test func integersOfEveryWidthDecode() async throws {
        let row = try #require(
            try await pool.query("SELECT CAST(-5 AS SIGNED) AS a, CAST(7 AS UNSIGNED) AS b, 1.5 AS c, 'x' AS d, 2 + ? AS e", [40]).first)
        #expect(try row.decode("a", as: Int.self) == -5)
        #expect(try row.decode("b", as: Int.self) == 7)
        #expect(try row.decode("c", as: Double.self) == 1.5)  // DECIMAL arrives as text and parses
        #expect(try row.decode("d", as: String.self) == "x")
        #expect(try row.decode("e", as: Int.self) == 42)
    }

    @Test func duplicateKeyIsADistinctError() async throws {
        try await pool.execute("INSERT INTO samples (code) VALUES (?)", ["dup-1"])
        let error = await #expect(throws: MariaDBError.self) {
            try await pool.execute("INSERT INTO samples (code) VALUES (?)", ["dup-1"])
        }
        #expect(error?.isDuplicateKey == true)
        #expect(error?.code == 1062)
        #expect(error?.sqlState == "23000")
        #expect(error?.message.contains("dup-1") == true)
        #expect(error?.isTemporaryServerFailure == false)
    }

    /// What the server says when it runs out of room (here a MEMORY table at its size limit; a full
    /// disk gives InnoDB the same 1114) is a temporary failure, unlike a mistake in the statement.
    @Test func aFullTableIsATemporaryFailure() async throws {
        let error = await #expect(throws: MariaDBError.self) {
            try await pool.withConnection { connection in
                defer { try? connection.executeText("DROP TEMPORARY TABLE IF EXISTS small") }
                try connection.executeText("SET SESSION max_heap_table_size = 16384")
                try connection.executeText("CREATE TEMPORARY TABLE small (v VARCHAR(200)) ENGINE=MEMORY")
                for _ in 0..<10_000 { try connection.execute("INSERT INTO small (v) VALUES (?)", [String(repeating: "x", count: 200)]) }
            }
        }
        #expect(error?.code == 1114)
        #expect(error?.isTemporaryServerFailure == true)
        #expect(error?.isConnectionLost == false)
    }

    @Test func syntaxErrorsCarryTheServerMessage() async throws {
        let error = await #expect(throws: MariaDBError.self) { try await pool.query("SELEKT 1") }
        #expect(error?.code == 1064)
        #expect(error?.sqlState == "42000")
        #expect(error?.isDuplicateKey == false)
        #expect(error?.isTemporaryServerFailure == false)
        // The connection is still usable afterwards.
        #expect(try await pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
    }

    @Test func wrongParameterCountIsRejected() async throws {
        await #expect(throws: MariaDBError.self) { try await pool.query("SELECT ? AS a", [1, 2]) }
    }

    @Test func transactionCommitsOnReturn() async throws {
        let id = try await pool.transaction { connection in
            let id = try connection.execute("INSERT INTO samples (code) VALUES (?)", ["commit-1"]).lastInsertID
            try connection.execute("UPDATE samples SET i = ? WHERE id = ?", [9, id])
            return id
        }
        let row = try #require(try await pool.query("SELECT i FROM samples WHERE id = ?", [id]).first)
        #expect(try row.decode("i", as: Int.self) == 9)
    }

    @Test func transactionRollsBackOnAnyError() async throws {
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await pool.transaction { connection in
                try connection.execute("INSERT INTO samples (code) VALUES (?)", ["rollback-1"])
                throw Abort()
            }
        }
        await #expect(throws: MariaDBError.self) {
            try await pool.transaction { connection in
                try connection.execute("INSERT INTO samples (code) VALUES (?)", ["rollback-2"])
                try connection.execute("INSERT INTO samples (code) VALUES (?)", ["rollback-2"])
            }
        }
        let rows = try await pool.query("SELECT id FROM samples WHERE code IN (?, ?)", ["rollback-1", "rollback-2"])
        #expect(rows.isEmpty)
    }

    @Test func twoHundredConcurrentQueriesShareEightConnections() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for n in 0..<200 {
                group.addTask {
                    let row = try await pool.query("SELECT ? * 2 AS doubled, SLEEP(0.005) AS s", [n]).first!
                    return (n, try row.decode("doubled", as: Int.self))
                }
            }
            var results: [Int: Int] = [:]
            for try await (n, doubled) in group { results[n] = doubled }
            return results
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0.value == $0.key * 2 })
        #expect(pool.openConnections <= 8)
        #expect(pool.openConnections > 1)
    }

    @Test func connectionKilledWhileIdleIsReplaced() async throws {
        let single = MariaDBPool(configuration: pool.configuration, maxConnections: 1)
        let first = try #require(try await single.query("SELECT CONNECTION_ID() AS id").first).decode("id", as: Int.self)
        try await pool.execute("KILL CONNECTION ?", [first])
        let second = try #require(try await single.query("SELECT CONNECTION_ID() AS id").first).decode("id", as: Int.self)
        #expect(second != first)
        await single.shutdown()
    }

    @Test func urlParsingUnderstandsSocketsAndCredentials() throws {
        let tcp = try MariaDBConfiguration(url: "mysql://chat:p%40ss@db.internal:3307/parley?connect_timeout=3")
        #expect(tcp.host == "db.internal")
        #expect(tcp.port == 3307)
        #expect(tcp.user == "chat")
        #expect(tcp.password == "p@ss")
        #expect(tcp.database == "parley")
        #expect(tcp.socket == nil)
        #expect(tcp.connectTimeoutSeconds == 3)
        let socket = try MariaDBConfiguration(url: "mysql://root@localhost/parley?socket=/tmp/x.sock")
        #expect(socket.socket == "/tmp/x.sock")
        #expect(socket.password == nil)
        #expect(throws: MariaDBError.self) { try MariaDBConfiguration(url: "postgres://x@y/z") }
        #expect(throws: MariaDBError.self) { try MariaDBConfiguration(url: "mysql://x@y/z?read_timeout=0") }
        #expect(MariaDBConfiguration.redacted("mysql://u:secret@h/db").contains("secret") == false)
    }

    @Test func civilTimeConversionMatchesFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for seconds in stride(from: -2_208_988_800.0, to: 4_102_444_800.0, by: 9_876_543.21) {
            let date = Date(timeIntervalSince1970: (seconds * 1000).rounded() / 1000)
            let f = UTCCivilTime.fields(of: date)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            #expect([f.year, f.month, f.day, f.hour, f.minute, f.second] == [c.year, c.month, c.day, c.hour, c.minute, c.second])
            #expect(UTCCivilTime.date(from: f) == date)
        }
        // Dates a DATETIME cannot hold are taken as its nearest end rather than wrapping (a negative
        // year trapped in the unsigned MYSQL_TIME field).
        let first = UTCCivilTime.Fields(year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0)
        let last = UTCCivilTime.Fields(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 999_000)
        #expect(UTCCivilTime.fields(of: Date(timeIntervalSince1970: -62_135_596_800 - 86_400 * 3)) == first)
        #expect(UTCCivilTime.fields(of: .distantPast) == first)
        #expect(UTCCivilTime.fields(of: Date(timeIntervalSince1970: 1e12)) == last)
        #expect(UTCCivilTime.date(from: first) == UTCCivilTime.range.lowerBound)
    }
}

/// A server of the test's own, restarted under a live pool.
@Suite struct MariaDBRestartTests {
    @Test func poolRecoversAfterTheServerRestarts() async throws {
        let server = MariaDBServerProcess(directory: TestDatabase.temporaryDirectory("restart"), durable: false)
        try await server.start()
        defer { try? FileManager.default.removeItem(at: server.directory) }
        let pool = MariaDBPool(configuration: server.configuration(), maxConnections: 4)
        try await pool.execute("CREATE DATABASE IF NOT EXISTS restart_check")
        try await pool.execute("CREATE TABLE IF NOT EXISTS restart_check.kept (v INT)")
        try await pool.execute("INSERT INTO restart_check.kept VALUES (?)", [7])
        // Open several connections so that all of them go stale at the restart.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await pool.execute("SELECT SLEEP(0.05)") } }
            try await group.waitForAll()
        }
        await server.stop()
        #expect(server.isRunning == false)
        await #expect(throws: MariaDBError.self) { try await pool.query("SELECT 1") }
        try await server.start()
        for _ in 0..<6 {
            let row = try #require(try await pool.query("SELECT v FROM restart_check.kept").first)
            #expect(try row.decode("v", as: Int.self) == 7)
        }
        await pool.shutdown()
        await server.stop()
    }
}

/// A server of the test's own, whose prepared-statement limit (shared by all its connections) the
/// test lowers to three.
@Suite struct MariaDBPreparedStatementLimitTests {
    @Test func aConnectionAtTheServersLimitGivesBackItsOwnStatementsAndGoesOn() async throws {
        let server = MariaDBServerProcess(directory: TestDatabase.temporaryDirectory("stmtlimit"), durable: false)
        try await server.start()
        defer { try? FileManager.default.removeItem(at: server.directory) }
        // The server is stopped however the checks end.
        let outcome = Result { try Self.checkLimit(server) }
        await server.stop()
        try outcome.get()
    }

    private static func checkLimit(_ server: MariaDBServerProcess) throws {
        let a = try MariaDBConnection(configuration: server.configuration())
        let b = try MariaDBConnection(configuration: server.configuration())
        defer {
            a.close()
            b.close()
        }
        try a.executeText("SET GLOBAL max_prepared_stmt_count = 3")
        for n in 1...3 { #expect(try a.query("SELECT ? + \(n) AS v", [1]).first?.decode("v", as: Int.self) == 1 + n) }
        #expect(a.cachedStatementCount == 3)
        // b holds nothing to give back: the server's refusal reaches the caller.
        #expect {
            try b.query("SELECT 5 AS v")
        } throws: { ($0 as? MariaDBError)?.code == MariaDBError.preparedStatementLimit }
        // a frees its three and prepares the new one.
        #expect(try a.query("SELECT ? + 4 AS v", [1]).first?.decode("v", as: Int.self) == 5)
        #expect(a.cachedStatementCount == 1)
        #expect(try b.query("SELECT 5 AS v").first?.decode("v", as: Int.self) == 5)
    }

    /// A full statement cache evicts its least recently used statement, not the statements in use.
    @Test func aFullStatementCacheEvictsTheLeastRecentlyUsed() async throws {
        let server = try await TestDatabase.server()
        let connection = try MariaDBConnection(configuration: server.configuration())
        defer { connection.close() }
        func sql(_ n: Int) -> String { "SELECT ? + \(n) AS v" }
        let limit = MariaDBConnection.statementCacheLimit
        for n in 0..<limit { #expect(try connection.query(sql(n), [1]).first?.decode("v", as: Int.self) == 1 + n) }
        #expect(connection.cachedStatementCount == limit)
        // Statement 0 is used again, so statement 1 is now the least recently used.
        #expect(try connection.query(sql(0), [2]).first?.decode("v", as: Int.self) == 2)
        #expect(try connection.query(sql(limit), [1]).first?.decode("v", as: Int.self) == 1 + limit)
        #expect(connection.cachedStatementCount == limit)
        #expect(connection.isCached(sql(0)))
        #expect(!connection.isCached(sql(1)))
        #expect(connection.isCached(sql(2)) && connection.isCached(sql(limit)))
        // The evicted statement is prepared again on its next use, evicting the next oldest.
        #expect(try connection.query(sql(1), [1]).first?.decode("v", as: Int.self) == 2)
        #expect(!connection.isCached(sql(2)))
    }

    @Test func theEmbeddedServerAllowsAMillionPreparedStatements() async throws {
        let server = try await TestDatabase.server()
        let connection = try MariaDBConnection(configuration: server.configuration())
        defer { connection.close() }
        let row = try #require(try connection.query("SELECT @@global.max_prepared_stmt_count AS n").first)
        #expect(try row.decode("n", as: Int.self) == 1_048_576)
    }
}
