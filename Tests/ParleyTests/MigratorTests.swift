import Testing

@testable import Parley

struct MigratorTests {
    @Test func statementsEndWithTheCurrentDelimiter() {
        let text = """
            -- a comment
            CREATE TABLE a (id INT);

            DROP PROCEDURE IF EXISTS p;
            DELIMITER //
            CREATE PROCEDURE p()
            BEGIN
                SELECT 1;
                SELECT 2;
            END //
            DELIMITER ;
            INSERT INTO a VALUES (1);
            """
        #expect(
            Migrator.split(text) == [
                "CREATE TABLE a (id INT)", "DROP PROCEDURE IF EXISTS p",
                "CREATE PROCEDURE p()\nBEGIN\n    SELECT 1;\n    SELECT 2;\nEND", "INSERT INTO a VALUES (1)",
            ])
    }

    /// Every migration of the project splits into statements none of which is empty or holds a
    /// stray `DELIMITER` line.
    @Test func theProjectsMigrationsSplitCleanly() throws {
        let migrations = try Migrator(directory: try Migrator.locate(configured: nil)).migrations()
        #expect(migrations.count >= 5)
        for migration in migrations {
            for statement in migration.statements {
                #expect(!statement.isEmpty, "\(migration.name)")
                #expect(!statement.uppercased().contains("DELIMITER"), "\(migration.name): \(statement.prefix(80))")
            }
        }
        let procedure = try #require(migrations.first { $0.name.hasPrefix("005") })
        #expect(procedure.statements.count == 2)
        #expect(procedure.statements[1].hasPrefix("CREATE PROCEDURE post_message("))
        #expect(procedure.statements[1].hasSuffix("END"))
    }
}
