import NIOConcurrencyHelpers
import NIOPosix

/// A bounded pool of connections whose blocking calls all run on its own `NIOThreadPool`, never on an
/// event loop or Swift's cooperative threads. A connection the server dropped is replaced on next use.
public final class MariaDBPool: Sendable {
    public let configuration: MariaDBConfiguration
    public let maxConnections: Int
    private let threadPool: NIOThreadPool
    private let state = NIOLockedValueBox(State())

    private struct State {
        var idle: [MariaDBConnection] = []
        /// Connections that exist or are being opened.
        var open = 0
        /// Borrowers waiting for a connection; resumed with one, or with nil meaning "open a new one".
        var waiters: [CheckedContinuation<MariaDBConnection?, any Error>] = []
        var isShutDown = false
    }

    /// Creates a pool of at most `maxConnections` connections, opened lazily, with one thread each.
    public init(configuration: MariaDBConfiguration, maxConnections: Int = 8) {
        precondition(maxConnections > 0)
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.threadPool = NIOThreadPool(numberOfThreads: maxConnections)
        threadPool.start()
    }

    /// Lends a connection to `body` on a pool thread. If the server dropped the connection before
    /// `body`'s first statement reached it, the pool reconnects and runs `body` once more.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        let lent = try await acquire()
        let configuration = self.configuration
        let (result, connection) = try await threadPool.runIfActive { () -> (Result<T, any Error>, MariaDBConnection?) in
            let connection: MariaDBConnection
            do {
                connection = try lent ?? MariaDBConnection(configuration: configuration)
            } catch {
                return (.failure(error), nil)
            }
            connection.statementsSinceCheckout = 0
            do {
                return (.success(try body(connection)), connection)
            } catch let error as MariaDBError where error.isConnectionLost && connection.statementsSinceCheckout <= 1 {
                do {
                    try connection.reconnect()
                    connection.statementsSinceCheckout = 0
                    return (.success(try body(connection)), connection)
                } catch {
                    return (.failure(error), connection)
                }
            } catch {
                return (.failure(error), connection)
            }
        }
        release(connection)
        return try result.get()
    }

    /// Runs one statement and returns its rows.
    public func query(_ sql: String, _ parameters: [any MariaDBEncodable] = []) async throws -> [MariaDBRow] {
        try await withConnection { try $0.query(sql, parameters) }
    }

    /// Runs one statement and returns the affected rows and insert id.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any MariaDBEncodable] = []) async throws -> MariaDBResult {
        try await withConnection { try $0.execute(sql, parameters) }
    }

    /// Runs `body` in a transaction on one connection: commits when it returns, rolls back when it throws.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        try await withConnection { try $0.transaction(body) }
    }

    /// Closes every connection and stops the pool's threads; later calls fail.
    public func shutdown() async {
        let (idle, waiters) = state.withLockedValue { state in
            state.isShutDown = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.resume(throwing: MariaDBError(code: 0, message: "the pool is shut down")) }
        try? await threadPool.runIfActive { for connection in idle { connection.close() } }
        try? await threadPool.shutdownGracefully()
    }

    /// How many connections exist now (for tests and metrics).
    public var openConnections: Int { state.withLockedValue { $0.open } }

    private enum Grant {
        case connection(MariaDBConnection)
        case openNew
        case wait
        case shutDown
    }

    private func acquire() async throws -> MariaDBConnection? {
        let grant = state.withLockedValue { state -> Grant in
            if state.isShutDown { return .shutDown }
            if let connection = state.idle.popLast() { return .connection(connection) }
            if state.open < maxConnections {
                state.open += 1
                return .openNew
            }
            return .wait
        }
        switch grant {
        case .connection(let connection): return connection
        case .openNew: return nil
        case .shutDown: throw MariaDBError(code: 0, message: "the pool is shut down")
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLockedValue { state -> Grant in
                    if state.isShutDown { return .shutDown }
                    if let connection = state.idle.popLast() { return .connection(connection) }
                    if state.open < maxConnections {
                        state.open += 1
                        return .openNew
                    }
                    state.waiters.append(continuation)
                    return .wait
                }
                switch immediate {
                case .connection(let connection): continuation.resume(returning: connection)
                case .openNew: continuation.resume(returning: nil)
                case .shutDown: continuation.resume(throwing: MariaDBError(code: 0, message: "the pool is shut down"))
                case .wait: break
                }
            }
        }
    }

    /// Returns a connection (or the slot of one that failed to open or broke) to the pool.
    private func release(_ connection: MariaDBConnection?) {
        let usable = connection.map { $0.isOpen && !$0.inTransaction } ?? false
        let action = state.withLockedValue { state -> (CheckedContinuation<MariaDBConnection?, any Error>, MariaDBConnection?)? in
            if !usable { state.open -= 1 }
            if state.isShutDown {
                if usable { state.open -= 1 }
                return nil
            }
            if !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst()
                if usable { return (waiter, connection) }
                state.open += 1
                return (waiter, nil)
            }
            if usable, let connection { state.idle.append(connection) }
            return nil
        }
        if let (waiter, handed) = action {
            waiter.resume(returning: handed)
        } else if !usable || state.withLockedValue({ $0.isShutDown }) {
            connection?.close()
        }
    }
}
