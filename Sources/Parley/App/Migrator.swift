import Foundation
import MariaDB

/// Applies the numbered `.sql` files of a directory in order, each once, recorded in `schema_migrations`.
/// A file's statements are separated by `;` at the end of a line (or the terminator a `DELIMITER` line sets). A named lock keeps two servers
/// starting at once from applying the same file twice.
public struct Migrator: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The migrations directory: the configured one, `./sql`, or the one beside these sources.
    public static func locate(configured: String?) throws -> URL {
        let candidates: [String?] = [configured, "sql", URL(fileURLWithPath: #filePath).appendingPathComponent("../../../../sql").standardized.path]
        for case let path? in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                return URL(fileURLWithPath: path)
            }
        }
        throw ConfigError("no migrations directory found; set PARLEY_MIGRATIONS_DIR to the project's sql/ folder")
    }

    struct Migration {
        let version: Int
        let name: String
        let statements: [String]
    }

    func migrations() throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        var seen = Set<Int>()
        return try files.map { file in
            guard let version = Int(file.prefix { $0.isNumber }), !file.prefix(while: { $0.isNumber }).isEmpty else {
                throw ConfigError("migration \(file) does not start with a number")
            }
            guard seen.insert(version).inserted else { throw ConfigError("two migrations are numbered \(version)") }
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: file, statements: Self.split(text))
        }
    }

    /// Splits a file into statements. As in the `mysql` client, a `DELIMITER //` line changes the
    /// terminator, so that a stored procedure's body (which holds `;`) stays one statement.
    static func split(_ text: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var delimiter = ";"
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || (current.isEmpty && trimmed.isEmpty) { continue }
            if current.isEmpty, trimmed.uppercased().hasPrefix("DELIMITER ") {
                delimiter = String(trimmed.dropFirst("DELIMITER ".count)).trimmingCharacters(in: .whitespaces)
                continue
            }
            current += line + "\n"
            if trimmed.hasSuffix(delimiter) {
                statements.append(String(current.trimmingCharacters(in: .whitespacesAndNewlines).dropLast(delimiter.count)).trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// Applies what is missing; returns the names of the files applied.
    @discardableResult
    public func migrate(_ pool: MariaDBPool) async throws -> [String] {
        let migrations = try migrations()
        return try await pool.withConnection { connection in
            // One lock per database (user locks are server-wide: databases of one server must not
            // wait for each other's migrations), asked for in tries shorter than the connection's
            // read timeout, for two minutes at most.
            let name = "CONCAT('parley_migrations:', MD5(DATABASE()))"
            var locked: Int?
            let deadline = ContinuousClock.now + .seconds(120)
            repeat {
                locked = try connection.query("SELECT GET_LOCK(\(name), 10) AS locked").first?.decode("locked", as: Int?.self)
            } while locked == 0 && ContinuousClock.now < deadline
            guard locked == 1 else { throw MariaDBError(code: 0, message: "could not take the migration lock") }
            defer { _ = try? connection.query("SELECT RELEASE_LOCK(\(name)) AS released") }
            try connection.executeText(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INT NOT NULL PRIMARY KEY,
                    name VARCHAR(255) NOT NULL,
                    applied_at DATETIME(3) NOT NULL
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
                """)
            let applied = Set(try connection.query("SELECT version FROM schema_migrations").map { try $0.decode("version", as: Int.self) })
            var done: [String] = []
            for migration in migrations where !applied.contains(migration.version) {
                // DDL commits implicitly in MariaDB, so a file is not atomic; keep each file's statements few and safe to re-run.
                for statement in migration.statements { try connection.executeText(statement) }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, NOW(3))", [migration.version, migration.name])
                done.append(migration.name)
            }
            return done
        }
    }
}
