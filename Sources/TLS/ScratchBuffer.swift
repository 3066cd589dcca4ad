#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The buffer `SSL_read` decrypts into and `drainOutbound` copies records through, one per
/// thread: a TLS record's worth (16 KB) per session would cost thousands of idle connections tens
/// of megabytes, and a 16 KB `withUnsafeTemporaryAllocation` is a heap allocation per call
/// (Swift stack-allocates only small sizes). A thread-local buffer is free after its first use
/// and needs no lock.
///
/// `take` empties the thread's slot and `give` refills it, so a `deliver` closure that drives
/// another session's `receive` on the same thread gets a buffer of its own instead of
/// overwriting the chunk it was handed.
enum ScratchBuffer {
    static let size = 16384

    /// The pthread key of the per-thread buffer; its destructor frees the buffer at thread exit.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { free($0) }
        precondition(status == 0, "pthread_key_create failed: \(status)")  // only when the process is out of keys
        return key
    }()

    static func take() -> UnsafeMutableRawBufferPointer {
        let key = key
        if let buffer = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            return UnsafeMutableRawBufferPointer(start: buffer, count: size)
        }
        guard let buffer = malloc(size) else { fatalError("out of memory allocating the TLS scratch buffer") }
        return UnsafeMutableRawBufferPointer(start: buffer, count: size)
    }

    static func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let key = key
        if pthread_getspecific(key) == nil {
            pthread_setspecific(key, buffer.baseAddress)
        } else {
            free(buffer.baseAddress)  // a nested receive already returned one
        }
    }
}
