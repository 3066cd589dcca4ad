/// What a `StoreWriterThread` does with the items its queue accumulated: write a batch, and
/// finally close.
///
/// The thread, queue, counters and logging are the same for every store; only "which statements
/// run for an item" differs. Implementations own their connection and prepared statements and
/// are confined to the writer thread (hence `AnyObject` and no `Sendable`).
protocol StoreBatchWriter<Element>: AnyObject {
    associatedtype Element: Sendable

    /// Writes every item of `batch` (chunks in queue order) in one transaction, or none.
    func write(_ batch: [[Element]]) throws(SQLiteError)

    /// Finalises statements and closes the connection; called once, on the writer thread, after
    /// the last batch.
    func close()
}
