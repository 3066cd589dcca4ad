import Foundation

/// Applies batches of established-call snapshot writes on the writer thread: upsert or delete
/// one row per item, one transaction per batch. Confined to the writer thread.
final class EstablishedCallWriter: SQLiteBatchWriter {
    typealias Element = EstablishedCallWriteItem
    static let upsert = """
        INSERT INTO established_calls (call_key, record, updated_at) VALUES (?1, ?2, ?3)
        ON CONFLICT(call_key) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at
        """
    static let delete = "DELETE FROM established_calls WHERE call_key = ?1"
    static let select = "SELECT call_key, record, updated_at FROM established_calls ORDER BY updated_at"

    let database: SQLiteDatabase
    private let upsertRow: SQLiteStatement
    private let deleteRow: SQLiteStatement
    private let encoder = JSONEncoder()

    init(database: SQLiteDatabase) throws(SQLiteError) {
        self.database = database
        upsertRow = try database.prepare(Self.upsert)
        deleteRow = try database.prepare(Self.delete)
    }

    var statements: [SQLiteStatement] { [upsertRow, deleteRow] }

    func apply(_ item: EstablishedCallWriteItem) throws(SQLiteError) {
        switch item {
        case .save(let key, let record, let updatedAt):
            // A record that cannot be encoded (never for the B2BUA's plain values) keeps the
            // previous row rather than failing the whole batch.
            guard let bytes = try? encoder.encode(record) else { return }
            defer { upsertRow.reset() }
            try upsertRow.bind(key, at: 1)
            try upsertRow.bind(Array(bytes), at: 2)
            try upsertRow.bind(updatedAt, at: 3)
            try upsertRow.step()
        case .remove(let key):
            defer { deleteRow.reset() }
            try deleteRow.bind(key, at: 1)
            try deleteRow.step()
        }
    }
}
