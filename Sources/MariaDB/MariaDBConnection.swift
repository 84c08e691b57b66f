import CMariaDB
import Foundation

/// Runs `mysql_server_init` exactly once per process (Swift cannot import the `mysql_library_init` macro).
private let libraryInitialized: Bool = {
    mysql_server_init(0, nil, nil) == 0
}()

/// One blocking connection to the server, with a cache of prepared statements.
///
/// `@unchecked Sendable` because a `MYSQL*` may be used from any thread but only by one at a time:
/// the pool hands a connection to exactly one borrower, and every call runs on that borrower's
/// thread-pool thread until it is returned.
public final class MariaDBConnection: @unchecked Sendable {
    public let configuration: MariaDBConfiguration
    private var handle: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: PreparedStatement] = [:]
    /// Counts statement uses, for evicting the least recently used cached statement.
    private var useClock: UInt64 = 0
    /// Statements run since the connection was last handed out; lets the pool tell whether a lost
    /// connection failed before anything could have reached the server.
    var statementsSinceCheckout = 0
    /// Whether the connection sits inside `BEGIN … COMMIT/ROLLBACK`.
    public private(set) var inTransaction = false

    /// Opens a connection; blocks until connected.
    public init(configuration: MariaDBConfiguration) throws {
        self.configuration = configuration
        try connect()
    }

    deinit { close() }

    /// Whether the connection is open (it may still have been dropped by the server).
    public var isOpen: Bool { handle != nil }

    private func connect() throws {
        guard libraryInitialized else { throw MariaDBError(code: 0, message: "mysql_server_init failed") }
        guard let mysql = mysql_init(nil) else { throw MariaDBError(code: 2008, message: "out of memory in mysql_init") }
        var connectTimeout = configuration.connectTimeoutSeconds
        var readTimeout = configuration.readTimeoutSeconds
        var writeTimeout = configuration.writeTimeoutSeconds
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // Connector/C's charset option alone gives utf8mb4_general_ci; DATETIME values are UTC.
        mysql_options(mysql, MYSQL_INIT_COMMAND, "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00'")
        let c = configuration
        let connected = mysql_real_connect(
            mysql, c.socket == nil ? c.host : "localhost", c.user, c.password, c.database,
            c.socket == nil ? UInt32(c.port) : 0, c.socket, 0)
        guard connected != nil else {
            let error = Self.error(of: mysql)
            mysql_close(mysql)
            throw error
        }
        handle = mysql
    }

    /// Closes the connection and frees its statements; safe to call twice.
    public func close() {
        for statement in statements.values { statement.close() }
        statements.removeAll()
        if let handle { mysql_close(handle) }
        handle = nil
        inTransaction = false
    }

    /// Drops the current link and connects again (used after the server went away).
    func reconnect() throws {
        close()
        try connect()
    }

    /// Runs a statement with bound parameters and returns its rows, affected rows and insert id.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any MariaDBEncodable] = []) throws -> MariaDBResult {
        statementsSinceCheckout += 1
        guard handle != nil else { throw MariaDBError(code: 2006, message: "connection is closed") }
        let statement = try preparedStatement(for: sql)
        do {
            return try statement.execute(parameters.map(\.mariaDBValue))
        } catch let error as MariaDBError {
            // A statement may be invalidated by DDL; drop it from the cache so the next use re-prepares.
            statements[sql] = nil
            statement.close()
            if error.isConnectionLost { close() }
            throw error
        }
    }

    /// Runs a statement and returns its rows.
    public func query(_ sql: String, _ parameters: [any MariaDBEncodable] = []) throws -> [MariaDBRow] {
        try execute(sql, parameters).rows
    }

    /// Runs a statement with no parameters through the text protocol (for DDL and session commands).
    public func executeText(_ sql: String) throws {
        statementsSinceCheckout += 1
        guard let handle else { throw MariaDBError(code: 2006, message: "connection is closed") }
        if mysql_real_query(handle, sql, UInt(sql.utf8.count)) != 0 {
            let error = Self.error(of: handle)
            if error.isConnectionLost { close() }
            throw error
        }
        // Discard any result set so the connection is ready for the next command.
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// `readCommitted`: this one transaction at READ COMMITTED (each read sees what has committed,
    /// and a locking read takes no gap locks) instead of the server's REPEATABLE READ.
    public func transaction<T>(readCommitted: Bool = false, _ body: (MariaDBConnection) throws -> T) throws -> T {
        precondition(!inTransaction, "nested transactions are not supported")
        if readCommitted { try executeText("SET TRANSACTION ISOLATION LEVEL READ COMMITTED") }
        try executeText("START TRANSACTION")
        inTransaction = true
        do {
            let value = try body(self)
            try executeText("COMMIT")
            inTransaction = false
            return value
        } catch {
            inTransaction = false
            if isOpen { try? executeText("ROLLBACK") }
            throw error
        }
    }

    /// Checks that the server still answers.
    public func ping() throws {
        guard let handle else { throw MariaDBError(code: 2006, message: "connection is closed") }
        if mysql_ping(handle) != 0 { throw Self.error(of: handle) }
    }

    /// Most statements a connection keeps prepared; past this the least recently used one goes.
    static let statementCacheLimit = 256

    private func preparedStatement(for sql: String) throws -> PreparedStatement {
        useClock &+= 1
        if let cached = statements[sql] {
            cached.lastUse = useClock
            return cached
        }
        let statement: PreparedStatement
        do {
            statement = try PreparedStatement(connection: handle!, sql: sql)
        } catch let error as MariaDBError where error.code == MariaDBError.preparedStatementLimit && !statements.isEmpty {
            // The server's max_prepared_stmt_count is shared by all its connections: give back
            // what this one holds and prepare once more, rather than fail the statement.
            dropCachedStatements()
            statement = try PreparedStatement(connection: handle!, sql: sql)
        }
        if statements.count >= Self.statementCacheLimit, let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            oldest.value.close()
            statements[oldest.key] = nil
        }
        statement.lastUse = useClock
        statements[sql] = statement
        return statement
    }

    private func dropCachedStatements() {
        for s in statements.values { s.close() }
        statements.removeAll()
    }

    /// How many statements this connection holds prepared (for tests).
    var cachedStatementCount: Int { statements.count }

    /// Whether `sql` is prepared in this connection's cache (for tests).
    func isCached(_ sql: String) -> Bool { statements[sql] != nil }

    static func error(of mysql: UnsafeMutablePointer<MYSQL>) -> MariaDBError {
        MariaDBError(
            code: mysql_errno(mysql), sqlState: String(cString: mysql_sqlstate(mysql)), message: String(cString: mysql_error(mysql)))
    }
}

/// One server-side prepared statement, freed exactly once by `close()`.
final class PreparedStatement {
    private var stmt: UnsafeMutablePointer<MYSQL_STMT>?
    /// The connection's use count when this statement was last used.
    var lastUse: UInt64 = 0
    private let parameterCount: Int

    init(connection: UnsafeMutablePointer<MYSQL>, sql: String) throws {
        guard let stmt = mysql_stmt_init(connection) else { throw MariaDBConnection.error(of: connection) }
        if mysql_stmt_prepare(stmt, sql, UInt(sql.utf8.count)) != 0 {
            let error = Self.error(of: stmt)
            mysql_stmt_close(stmt)
            throw error
        }
        var updateMaxLength: CChar = 1
        mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        self.stmt = stmt
        self.parameterCount = Int(mysql_stmt_param_count(stmt))
    }

    deinit { close() }

    func close() {
        if let stmt { mysql_stmt_close(stmt) }
        stmt = nil
    }

    static func error(of stmt: UnsafeMutablePointer<MYSQL_STMT>) -> MariaDBError {
        MariaDBError(
            code: mysql_stmt_errno(stmt), sqlState: String(cString: mysql_stmt_sqlstate(stmt)),
            message: String(cString: mysql_stmt_error(stmt)))
    }

    func execute(_ parameters: [MariaDBValue]) throws -> MariaDBResult {
        guard let stmt else { throw MariaDBError(code: 2006, message: "statement is closed") }
        guard parameters.count == parameterCount else {
            throw MariaDBError(code: 0, message: "statement takes \(parameterCount) parameters, \(parameters.count) given")
        }
        let buffers = ParameterBuffers(parameters)
        defer { buffers.deallocate() }
        if parameterCount > 0, mysql_stmt_bind_param(stmt, buffers.binds) != 0 { throw Self.error(of: stmt) }
        if mysql_stmt_execute(stmt) != 0 { throw Self.error(of: stmt) }
        let affected = mysql_stmt_affected_rows(stmt)
        let insertID = mysql_stmt_insert_id(stmt)
        guard let metadata = mysql_stmt_result_metadata(stmt) else {
            try drainResults(stmt)
            return MariaDBResult(rows: [], affectedRows: affected == UInt64.max ? 0 : affected, lastInsertID: insertID)
        }
        let rows: [MariaDBRow]
        do {
            defer {
                mysql_free_result(metadata)
                mysql_stmt_free_result(stmt)
            }
            if mysql_stmt_store_result(stmt) != 0 { throw Self.error(of: stmt) }
            rows = try fetchRows(stmt, metadata)
        }
        try drainResults(stmt)
        return MariaDBResult(rows: rows, affectedRows: UInt64(rows.count), lastInsertID: insertID)
    }

    /// Reads what follows the first result: a `CALL` answers with its result sets and then its own
    /// status, and the connection takes no other command until all of it is read. Only the first
    /// result set is returned.
    private func drainResults(_ stmt: UnsafeMutablePointer<MYSQL_STMT>) throws {
        while mysql_stmt_more_results(stmt) != 0 {
            let status = mysql_stmt_next_result(stmt)
            if status > 0 { throw Self.error(of: stmt) }
            if status < 0 { return }
            if mysql_stmt_field_count(stmt) > 0 {
                if mysql_stmt_store_result(stmt) != 0 { throw Self.error(of: stmt) }
                mysql_stmt_free_result(stmt)
            }
        }
    }

    private func fetchRows(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, _ metadata: UnsafeMutablePointer<MYSQL_RES>) throws -> [MariaDBRow] {
        let count = Int(mysql_num_fields(metadata))
        let fields = mysql_fetch_fields(metadata)!
        let columns = MariaDBColumns(names: (0..<count).map { String(cString: fields[$0].name) })
        let results = ResultBuffers(fields: fields, count: count)
        defer { results.deallocate() }
        if mysql_stmt_bind_result(stmt, results.binds) != 0 { throw Self.error(of: stmt) }
        var rows: [MariaDBRow] = []
        rows.reserveCapacity(Int(mysql_stmt_num_rows(stmt)))
        while true {
            let status = mysql_stmt_fetch(stmt)
            if status == MYSQL_NO_DATA { break }
            if status == 1 { throw Self.error(of: stmt) }
            // MYSQL_DATA_TRUNCATED cannot happen: buffers are sized from max_length.
            rows.append(MariaDBRow(columns: columns, values: (0..<count).map { results.value(at: $0) }))
        }
        return rows
    }
}

/// Parameter binds and the memory they point to; lives until execute returns.
private struct ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private var allocations: [UnsafeMutableRawPointer] = []
    private let count: Int

    init(_ values: [MariaDBValue]) {
        count = values.count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        for (i, value) in values.enumerated() {
            switch value {
            case .null:
                binds[i].buffer_type = MYSQL_TYPE_NULL
            case .int(let v):
                bindScalar(i, v, MYSQL_TYPE_LONGLONG)
            case .uint(let v):
                bindScalar(i, v, MYSQL_TYPE_LONGLONG)
                binds[i].is_unsigned = 1
            case .double(let v):
                bindScalar(i, v, MYSQL_TYPE_DOUBLE)
            case .string(let s):
                bindBytes(i, Array(s.utf8), MYSQL_TYPE_STRING)
            case .bytes(let b):
                bindBytes(i, b, MYSQL_TYPE_BLOB)
            case .date(let d):
                let f = UTCCivilTime.fields(of: d)
                var time = MYSQL_TIME()
                time.year = UInt32(f.year)
                time.month = UInt32(f.month)
                time.day = UInt32(f.day)
                time.hour = UInt32(f.hour)
                time.minute = UInt32(f.minute)
                time.second = UInt32(f.second)
                time.second_part = UInt(f.microsecond)
                time.time_type = MYSQL_TIMESTAMP_DATETIME
                bindScalar(i, time, MYSQL_TYPE_DATETIME)
            }
        }
    }

    private mutating func bindScalar<T>(_ i: Int, _ value: T, _ type: enum_field_types) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        memory.initializeMemory(as: T.self, repeating: value, count: 1)
        allocations.append(memory)
        binds[i].buffer_type = type
        binds[i].buffer = memory
        binds[i].buffer_length = UInt(MemoryLayout<T>.size)
    }

    private mutating func bindBytes(_ i: Int, _ bytes: [UInt8], _ type: enum_field_types) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { if let base = $0.baseAddress { memory.copyMemory(from: base, byteCount: bytes.count) } }
        allocations.append(memory)
        binds[i].buffer_type = type
        binds[i].buffer = memory
        binds[i].buffer_length = UInt(bytes.count)
        let length = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<UInt>.size, alignment: MemoryLayout<UInt>.alignment)
        length.initializeMemory(as: UInt.self, repeating: UInt(bytes.count), count: 1)
        allocations.append(length)
        binds[i].length = length.assumingMemoryBound(to: UInt.self)
    }

    func deallocate() {
        for memory in allocations { memory.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
    }
}

/// Result binds: typed buffers per column, sized from the stored result's `max_length`.
private struct ResultBuffers {
    enum Kind { case signed, unsigned, double, time, bytes, text }

    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private let kinds: [Kind]
    private let buffers: [UnsafeMutableRawPointer]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<CChar>

    init(fields: UnsafeMutablePointer<MYSQL_FIELD>, count: Int) {
        self.count = count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        lengths = .allocate(capacity: max(count, 1))
        lengths.initialize(repeating: 0, count: max(count, 1))
        nulls = .allocate(capacity: max(count, 1))
        nulls.initialize(repeating: 0, count: max(count, 1))
        var kinds: [Kind] = []
        var buffers: [UnsafeMutableRawPointer] = []
        for i in 0..<count {
            let field = fields[i]
            let kind: Kind
            var size: Int
            switch field.type {
            case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
                kind = field.flags & UInt32(UNSIGNED_FLAG) != 0 ? .unsigned : .signed
                size = 8
                binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                binds[i].is_unsigned = kind == .unsigned ? 1 : 0
            case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
                kind = .double
                size = 8
                binds[i].buffer_type = MYSQL_TYPE_DOUBLE
            case MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_DATE:
                kind = .time
                size = MemoryLayout<MYSQL_TIME>.size
                binds[i].buffer_type = MYSQL_TYPE_DATETIME
            case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL:
                kind = .text
                size = max(Int(field.max_length), 1)
                binds[i].buffer_type = MYSQL_TYPE_STRING
            default:
                kind = field.charsetnr == 63 ? .bytes : .text
                size = max(Int(field.max_length), 1)
                binds[i].buffer_type = field.charsetnr == 63 ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            binds[i].buffer = buffer
            binds[i].buffer_length = UInt(size)
            binds[i].length = lengths + i
            binds[i].is_null = nulls + i
            kinds.append(kind)
            buffers.append(buffer)
        }
        self.kinds = kinds
        self.buffers = buffers
    }

    func value(at i: Int) -> MariaDBValue {
        if nulls[i] != 0 { return .null }
        let buffer = buffers[i]
        switch kinds[i] {
        case .signed: return .int(buffer.load(as: Int64.self))
        case .unsigned: return .uint(buffer.load(as: UInt64.self))
        case .double: return .double(buffer.load(as: Double.self))
        case .time:
            let t = buffer.load(as: MYSQL_TIME.self)
            return .date(
                UTCCivilTime.date(
                    from: .init(
                        year: Int(t.year), month: Int(t.month), day: Int(t.day), hour: Int(t.hour), minute: Int(t.minute),
                        second: Int(t.second), microsecond: Int(t.second_part))))
        case .bytes:
            return .bytes(Array(UnsafeRawBufferPointer(start: buffer, count: Int(lengths[i]))))
        case .text:
            return .string(String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(lengths[i])), as: UTF8.self))
        }
    }

    func deallocate() {
        for buffer in buffers { buffer.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
    }
}
