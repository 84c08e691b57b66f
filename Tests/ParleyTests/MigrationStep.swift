import Foundation
import MariaDB
import Testing
import TestSupport

@testable import Parley

/// A database migrated up to (not including) one migration, to test what that migration makes of
/// the rows written before it.
struct MigrationStep {
    let number: String
    let directory: URL
    let all: URL
    let pool: MariaDBPool

    static func before(_ number: String) async throws -> MigrationStep {
        let directory = TestDatabase.temporaryDirectory("mig\(number)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let all = try Migrator.locate(configured: nil)
        for file in try files(in: all) where file < number {
            try FileManager.default.copyItem(at: all.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let pool = MariaDBPool(
            configuration: try MariaDBConfiguration(url: try await TestDatabase.freshDatabaseURL(prefix: "mig")), maxConnections: 2)
        _ = try await Migrator(directory: directory).migrate(pool)
        return MigrationStep(number: number, directory: directory, all: all, pool: pool)
    }

    private static func files(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
    }

    /// Applies the migration; answers how many were applied (1).
    func apply() async throws -> Int {
        let file = try #require(try Self.files(in: all).first { $0.hasPrefix(number) })
        try FileManager.default.copyItem(at: all.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        return try await Migrator(directory: directory).migrate(pool).count
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
