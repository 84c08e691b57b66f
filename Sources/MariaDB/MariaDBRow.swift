/// One row of a result set, read by column name.
public struct MariaDBRow: Sendable {
    /// The result's column names, shared by all its rows.
    public let columns: MariaDBColumns
    /// The row's values in column order.
    public let values: [MariaDBValue]

    /// The raw value of a column.
    public subscript(column: String) -> MariaDBValue? {
        columns.index(of: column).map { values[$0] }
    }

    /// Decodes a column as `T`; throws when the column is missing or its value does not fit `T`.
    public func decode<T: MariaDBDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.index(of: column) else {
            throw MariaDBError(code: 0, message: "no column named \(column) in the result")
        }
        do {
            return try T(mariaDBValue: values[index])
        } catch let error as MariaDBError {
            throw MariaDBError(code: 0, message: "column \(column): \(error.message)")
        }
    }
}

/// The column names of a result set, with a name-to-index lookup.
public final class MariaDBColumns: Sendable {
    public let names: [String]
    private let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var map: [String: Int] = [:]
        for (i, name) in names.enumerated() where map[name] == nil { map[name] = i }
        self.indexByName = map
    }

    public func index(of name: String) -> Int? { indexByName[name] }
}

/// What a statement returned: its rows (if any), affected rows and the last insert id.
public struct MariaDBResult: Sendable {
    public let rows: [MariaDBRow]
    public let affectedRows: UInt64
    public let lastInsertID: UInt64
}
