import Foundation

/// A private `mariadbd` owned by this process: data in one directory, a Unix socket, no TCP port.
/// Creates the data directory on first start (`mariadb-install-db`) and stops the server on `stop()`.
public final class MariaDBServerProcess: @unchecked Sendable {
    // @unchecked: the state is only touched by start(), stop() and restartIfExited(), which callers
    // do not run concurrently (Parley's watcher is stopped before shutdown stops the server).
    public let directory: URL
    public let durable: Bool
    private var process: Process?
    /// A server that was already running on this directory when `start()` found it.
    private var adoptedPID: pid_t?
    /// Whether this object owns the adopted server: it does when the process that started it has
    /// ended (it crashed and left the server behind), so `stop()` stops it.
    private var ownsAdopted = false
    /// The server stopped by itself and has not been started again yet.
    private var restartPending = false

    /// - Parameters:
    ///   - directory: holds `my.cnf`, `data/`, the socket, the pid file and the error log.
    ///   - durable: `innodb_flush_log_at_trx_commit=1` (every commit synced) when true, 2 otherwise.
    public init(directory: URL, durable: Bool = true) {
        self.directory = directory.standardizedFileURL
        self.durable = durable
    }

    public var socketPath: String { directory.appendingPathComponent("mariadb.sock").path }
    public var errorLogPath: String { directory.appendingPathComponent("mariadb.err").path }
    private var configPath: String { directory.appendingPathComponent("my.cnf").path }
    private var dataPath: String { directory.appendingPathComponent("data").path }
    private var pidPath: String { directory.appendingPathComponent("mariadb.pid").path }
    /// The pid of the process that started (or took over) the server: it stops it when it ends.
    private var ownerPath: String { directory.appendingPathComponent("owner.pid").path }

    /// The connection settings for the server's administrative user, optionally naming a database.
    public func configuration(database: String? = nil) -> MariaDBConfiguration {
        MariaDBConfiguration(user: Self.osUser, database: database, socket: socketPath)
    }

    /// `mysql://user@localhost/db?socket=…` for this server.
    public func url(database: String) -> String {
        var components = URLComponents()
        components.scheme = "mysql"
        components.user = Self.osUser
        components.host = "localhost"
        components.path = "/" + database
        components.queryItems = [URLQueryItem(name: "socket", value: socketPath)]
        return components.string!
    }

    /// The server authenticates the OS user through the socket (`unix_socket`), so no password exists.
    static var osUser: String {
        if geteuid() == 0 { return "root" }
        return ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
    }

    /// Initialises the data directory if needed, starts `mariadbd` and waits until it accepts connections.
    public func start(timeout: Duration = .seconds(60)) async throws {
        guard process == nil else { return }
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        guard socketPath.utf8.count < 100 else {
            throw MariaDBError(code: 0, message: "socket path too long for a Unix socket: \(socketPath)")
        }
        try fm.createDirectory(at: directory.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try writeConfig()
        if let pid = runningServerPID() {
            // Another process started this server. While that process runs (a `parley serve` beside
            // a `parley migrate`), use the server and leave it to its owner. If the owner has ended
            // (killed before it could stop the server), take the server over: stop it when done.
            adoptedPID = pid
            ownsAdopted = !ownerIsAlive()
            if ownsAdopted { recordOwner() }
            let deadline = ContinuousClock.now + timeout
            while (try? MariaDBConnection(configuration: configuration())) == nil {
                guard ContinuousClock.now < deadline, kill(pid, 0) == 0 else {
                    throw MariaDBError(code: 0, message: "a mariadbd (pid \(pid)) holds \(dataPath) but does not answer; stop it and retry")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return
        }
        if !fm.fileExists(atPath: dataPath + "/mysql") {
            try? fm.removeItem(atPath: dataPath)
            try Self.run(
                Self.executable("mariadb-install-db"),
                ["--defaults-file=\(configPath)", "--auth-root-authentication-method=socket", "--skip-test-db"]
                    + (geteuid() == 0 ? [] : ["--user=\(Self.osUser)"]),
                log: directory.appendingPathComponent("install-db.log").path)
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: try Self.executable("mariadbd"))
        server.arguments = ["--defaults-file=\(configPath)"]
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        process = server
        recordOwner()
        let deadline = ContinuousClock.now + timeout
        while true {
            if !server.isRunning {
                process = nil
                throw MariaDBError(code: 0, message: "mariadbd exited during start-up; see \(errorLogPath)")
            }
            if let connection = try? MariaDBConnection(configuration: configuration()) {
                connection.close()
                return
            }
            if ContinuousClock.now > deadline {
                await stop()
                throw MariaDBError(code: 0, message: "mariadbd did not accept connections in time; see \(errorLogPath)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts the server again if it stopped by itself (a crash, the OOM killer, a stray kill):
    /// InnoDB recovers every committed transaction on the way up. Returns whether it restarted;
    /// false while it runs, and after `stop()`. A server adopted from another process that has
    /// ended is taken over the same way (or adopted again, if its owner restarted it first).
    /// A failed restart is tried again on the next call.
    public func restartIfExited(timeout: Duration = .seconds(60)) async throws -> Bool {
        if let server = process {
            guard !server.isRunning else { return false }
            process = nil
            restartPending = true
        } else if let pid = adoptedPID {
            guard kill(pid, 0) != 0 else { return false }
            adoptedPID = nil
            restartPending = true
        }
        guard restartPending else { return false }
        try await start(timeout: timeout)
        restartPending = false
        return true
    }

    /// Stops the server (SIGTERM, then SIGKILL after 30 s) and waits for it to exit. An adopted
    /// server is left running for its owner.
    public func stop() async {
        restartPending = false
        if let pid = adoptedPID, ownsAdopted {
            adoptedPID = nil
            ownsAdopted = false
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(30)
            while kill(pid, 0) == 0 {
                if ContinuousClock.now > deadline { kill(pid, SIGKILL) }
                try? await Task.sleep(for: .milliseconds(20))
            }
            try? FileManager.default.removeItem(atPath: ownerPath)
            return
        }
        adoptedPID = nil
        guard let server = process else { return }
        process = nil
        if server.isRunning { server.terminate() }
        let deadline = ContinuousClock.now + .seconds(30)
        while server.isRunning {
            if ContinuousClock.now > deadline { kill(server.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the server from a synchronous context (process exit).
    public func stopBlocking() {
        if let pid = adoptedPID, ownsAdopted {
            adoptedPID = nil
            ownsAdopted = false
            kill(pid, SIGTERM)
            for _ in 0..<1500 where kill(pid, 0) == 0 { usleep(20_000) }
            return
        }
        guard let server = process else { return }
        process = nil
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
    }

    /// Whether the server process is running (one this object started or adopted).
    public var isRunning: Bool { process?.isRunning ?? adoptedPID.map { kill($0, 0) == 0 } ?? false }

    private func writeConfig() throws {
        var lines = [
            "[mariadbd]",
            "datadir=\(dataPath)",
            "socket=\(socketPath)",
            "pid-file=\(pidPath)",
            "log-error=\(errorLogPath)",
            // Temporary tables live in the server's own directory, out of reach of /tmp cleaners.
            "tmpdir=\(directory.appendingPathComponent("tmp").path)",
            "skip-networking",
            "skip-name-resolve",
            "character-set-server=utf8mb4",
            "collation-server=utf8mb4_unicode_ci",
            "default-time-zone=+00:00",
            "max_connections=2000",
            "innodb_buffer_pool_size=256M",
            "innodb_log_file_size=256M",
            "innodb_flush_log_at_trx_commit=\(durable ? 1 : 2)",
            "sync_binlog=0",
            // INSERT … SELECT (a post) would otherwise hold a table-wide AUTO-INC lock to its end.
            "innodb_autoinc_lock_mode=2",
            // Each pooled connection keeps up to 256 statements prepared; 64 connections with full
            // caches would pass the default limit of 16,382 for the whole server.
            "max_prepared_stmt_count=1048576",
            // Message search: two-letter words ("ok", "go") are words, and no word is a stop word.
            "innodb_ft_min_token_size=2",
            "innodb_ft_enable_stopword=OFF",
        ]
        if geteuid() == 0 { lines.append("user=root") }
        try (lines.joined(separator: "\n") + "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    private func recordOwner() {
        try? "\(getpid())\n".write(toFile: ownerPath, atomically: true, encoding: .utf8)
    }

    /// Whether the process recorded as the server's owner still runs (another process, that is).
    /// A server from before owners were recorded counts as owned by a live process.
    private func ownerIsAlive() -> Bool {
        guard let text = try? String(contentsOfFile: ownerPath, encoding: .utf8) else { return true }
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// The pid of a live `mariadbd` started on this directory's configuration, if any.
    private func runningServerPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        else { return nil }
        guard let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
            cmdline.contains("mariadbd"), cmdline.contains(configPath)
        else { return nil }
        return pid
    }

    static func executable(_ name: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw MariaDBError(code: 0, message: "\(name) not found: install the mariadb-server package")
    }

    private static func run(_ executable: String, _ arguments: [String], log: String) throws {
        FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MariaDBError(code: 0, message: "\(executable) failed with status \(process.terminationStatus); see \(log)")
        }
    }
}
