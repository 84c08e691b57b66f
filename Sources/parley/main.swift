import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Parley

/// The `parley` command: `serve` (the default) and `migrate`.
@main
struct ParleyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley", abstract: "A real-time chat server on MariaDB.",
        subcommands: [Serve.self, Migrate.self, Admin.self], defaultSubcommand: Serve.self)

    static func main() async {
        // Swift concurrency's tasks run on NIO's event loops instead of a second pool of threads, so
        // a handler that writes to its connection is already on (or one hop from) that connection's
        // loop. Nothing in Parley blocks a task: MariaDB and bcrypt have their own threads.
        // PARLEY_NIO_EXECUTOR=0 keeps Swift's default executor (to compare).
        if ProcessInfo.processInfo.environment["PARLEY_NIO_EXECUTOR"] != "0" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Self.main(nil)
    }
}

/// Options shared by every subcommand; each overrides its environment variable.
struct CommonOptions: ParsableArguments {
    @Option(help: "mysql://user:pass@host:port/db (env DATABASE_URL); omit to run the embedded MariaDB.")
    var databaseURL: String?
    @Option(help: "Directory of the embedded database (env PARLEY_DATA_DIR, default ./.parley).")
    var dataDir: String?
    @Option(help: "Directory of the SQL migrations (env PARLEY_MIGRATIONS_DIR).")
    var migrationsDir: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env PARLEY_LOG_LEVEL).")
    var logLevel: String?

    func config() throws -> AppConfig {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL { environment["DATABASE_URL"] = databaseURL }
        if let dataDir { environment["PARLEY_DATA_DIR"] = dataDir }
        if let migrationsDir { environment["PARLEY_MIGRATIONS_DIR"] = migrationsDir }
        if let logLevel { environment["PARLEY_LOG_LEVEL"] = logLevel }
        do {
            return try AppConfig(environment: environment)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the chat server (migrating the database first).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (env PARLEY_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (env PARLEY_PORT, default 8080).") var port: Int?

    func run() async throws {
        var config = try common.config()
        if let host { config.host = host }
        if let port { config.port = port }
        PostTrace.start()
        let app = try await buildApplication(config: config)
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let applied = try await migrateDatabase(config: try common.config())
        print(applied.isEmpty ? "The database is up to date." : "Applied: \(applied.joined(separator: ", "))")
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Site administration.", subcommands: [Create.self, TwoFactorOff.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an account a site admin: promote it, or create it with a password read from standard input.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The account's username.") var username: String
        @Flag(help: "Read the password for a new account from standard input.") var passwordStdin = false

        func run() async throws {
            let password = passwordStdin ? readLine(strippingNewline: true) : nil
            print(try await createSiteAdmin(config: try common.config(), username: username, password: password))
        }
    }

    struct TwoFactorOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "two-factor-off",
            abstract: "Turn off an account's two-factor authentication (it lost its authenticator and recovery codes).")
        @OptionGroup var common: CommonOptions
        @Option(help: "The account's username.") var username: String

        func run() async throws {
            print(try await turnOffTwoFactor(config: try common.config(), username: username))
        }
    }
}
