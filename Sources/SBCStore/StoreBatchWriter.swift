/// What a `StoreWriterThread` does with the items its queue accumulated: write a batch, and
/// finally close.
///
/// The thread, queue, counters, logging, retries and the closing are the same for every store
/// and back end; only "how a batch reaches the database" differs. Implementations own their
/// connection and are confined to the writer thread (hence `AnyObject` and no `Sendable`).
protocol StoreBatchWriter<Element>: AnyObject {
    associatedtype Element: Sendable

    /// Writes every item of `batch` (chunks in queue order) in one transaction, or none.
    func write(_ batch: [[Element]]) throws(StoreError)

    /// Releases the connection; called once, on the writer thread, after the last batch.
    func close()
}

/// A writer on the node's SQLite file: prepared statements reused for every item.
protocol SQLiteBatchWriter<Element>: StoreBatchWriter {
    var database: SQLiteDatabase { get }
    /// The prepared statements, finalised on close.
    var statements: [SQLiteStatement] { get }

    /// Runs the statements for one item, inside the batch's transaction.
    func apply(_ element: Element) throws(SQLiteError)
}

extension SQLiteBatchWriter {
    /// With WAL and `synchronous=NORMAL` a commit costs a WAL append, so batching whatever
    /// accumulated while the previous commit ran is what lets one thread keep up with bursts. A
    /// local file is never "unreachable": every failure refuses the batch.
    func write(_ batch: [[Element]]) throws(StoreError) {
        do {
            try database.transaction { () throws(SQLiteError) in
                for chunk in batch {
                    for element in chunk {
                        try apply(element)
                    }
                }
            }
        } catch {
            throw .sqlite(error)
        }
    }

    func close() {
        for statement in statements { statement.finalize() }
        database.close()
    }
}
