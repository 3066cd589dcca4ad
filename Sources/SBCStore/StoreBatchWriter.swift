/// What a `StoreWriterThread` does with the items its queue accumulated: write a batch, and
/// finally close.
///
/// The thread, queue, counters, logging, the one transaction per batch and the closing are the
/// same for every store; only "which statements run for an item" differs, which is `apply`.
/// Implementations own their connection and prepared statements and are confined to the writer
/// thread (hence `AnyObject` and no `Sendable`).
protocol StoreBatchWriter<Element>: AnyObject {
    associatedtype Element: Sendable

    var database: SQLiteDatabase { get }
    /// The prepared statements, finalised on close.
    var statements: [SQLiteStatement] { get }

    /// Runs the statements for one item, inside the batch's transaction.
    func apply(_ element: Element) throws(SQLiteError)
}

extension StoreBatchWriter {
    /// Writes every item of `batch` (chunks in queue order) in one transaction, or none. With WAL
    /// and `synchronous=NORMAL` a commit costs a WAL append, so batching whatever accumulated
    /// while the previous commit ran is what lets one thread keep up with bursts.
    func write(_ batch: [[Element]]) throws(SQLiteError) {
        try database.transaction { () throws(SQLiteError) in
            for chunk in batch {
                for element in chunk {
                    try apply(element)
                }
            }
        }
    }

    /// Finalises statements and closes the connection; called once, on the writer thread, after
    /// the last batch.
    func close() {
        for statement in statements { statement.finalize() }
        database.close()
    }
}
