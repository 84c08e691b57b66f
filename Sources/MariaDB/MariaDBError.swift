/// An error reported by libmariadb or the server: the error number, SQLSTATE and message.
public struct MariaDBError: Error, CustomStringConvertible, Sendable {
    /// The MySQL/MariaDB error number (e.g. 1062), or 0 for errors raised by this library.
    public let code: UInt32
    /// The five-character SQLSTATE, or "HY000" when unknown.
    public let sqlState: String
    /// The server's or client library's message.
    public let message: String

    public init(code: UInt32, sqlState: String = "HY000", message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// A unique or primary key was violated (ER_DUP_ENTRY).
    public var isDuplicateKey: Bool { code == 1062 || code == 1586 }

    /// The connection to the server is gone: the server went away, restarted or killed the connection.
    public var isConnectionLost: Bool {
        switch code {
        case 2002, 2003, 2006, 2013, 2055, 1927, 1053, 4031: return true
        default: return false
        }
    }

    /// The server cannot take the statement now, but a later try may succeed: the connection is lost,
    /// the server is out of connections (1040, 1203, 1226), disk (1021, 1114, or error 28 from the engine),
    /// memory or threads (1037, 1038, 1041, 1135), is read-only (1290, 1836), or the transaction
    /// stayed a deadlock victim or timed out waiting for a lock.
    public var isTemporaryServerFailure: Bool {
        if isConnectionLost || isRetryableTransactionFailure { return true }
        switch code {
        case 1040, 1203, 1226, 1021, 1114, 1037, 1038, 1041, 1135, 1290, 1836: return true
        // ER_GET_ERRNO and ER_ERROR_ON_WRITE carry the OS error as `28 "No space left on device"`.
        case 1030, 3: return message.contains("No space left")
        default: return false
        }
    }

    /// ER_MAX_PREPARED_STMT_COUNT_REACHED: the server holds `max_prepared_stmt_count` statements,
    /// counted over all its connections.
    static let preparedStatementLimit: UInt32 = 1461

    /// A deadlock or lock wait timeout: the transaction was rolled back and may be retried.
    public var isRetryableTransactionFailure: Bool { code == 1213 || code == 1205 }

    public var description: String { "MariaDB error \(code) (\(sqlState)): \(message)" }
}
