import Foundation
import MariaDB

/// The MariaDB server of one test run: a private `mariadbd` started on first use and stopped when the
/// test process exits. Each suite takes a fresh, empty database on it.
public enum TestDatabase {
    private static let holder = ServerHolder()

    /// The shared server, started on first call.
    public static func server() async throws -> MariaDBServerProcess {
        try await holder.server()
    }

    /// Creates a new empty database with a unique name and returns its URL.
    public static func freshDatabaseURL(prefix: String = "t") async throws -> String {
        let server = try await server()
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))_\(Int(Date().timeIntervalSince1970 * 1000) % 1_000_000)"
        let admin = try MariaDBConnection(configuration: server.configuration())
        defer { admin.close() }
        try admin.executeText("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        // A full run makes hundreds of databases at once on two cores: a stall of the shared server
        // past the 30 s a production read waits failed 111 tests at once in one run here (MariaDB
        // error 2013, "Lost connection to server during query"). Tests wait longer.
        return server.url(database: name) + "&read_timeout=120&write_timeout=120"
    }

    /// A throwaway directory for a server of a test's own (short, so its socket path fits).
    public static func temporaryDirectory(_ name: String) -> URL {
        URL(fileURLWithPath: "/tmp/parley-\(getpid())-\(name)-\(UInt16.random(in: 0...UInt16.max))")
    }

    fileprivate static func stopAtExit() {
        holder.stopBlocking()
    }
}

/// Starts the shared server once, even when many suites ask at the same time.
private final class ServerHolder: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLock()
    private var task: Task<MariaDBServerProcess, any Error>?
    private var started: MariaDBServerProcess?

    func server() async throws -> MariaDBServerProcess {
        let task = lock.withLock { () -> Task<MariaDBServerProcess, any Error> in
            if let task = self.task { return task }
            let task = Task { () throws -> MariaDBServerProcess in
                let server = MariaDBServerProcess(directory: TestDatabase.temporaryDirectory("db"), durable: false)
                try await server.start()
                self.lock.withLock { self.started = server }
                atexit { TestDatabase.stopAtExit() }
                return server
            }
            self.task = task
            return task
        }
        return try await task.value
    }

    func stopBlocking() {
        guard let server = lock.withLock({ started }) else { return }
        server.stopBlocking()
        try? FileManager.default.removeItem(at: server.directory)
    }
}
