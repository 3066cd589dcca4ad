import SRTP

/// A relay-style packet buffer: 16-byte aligned, with room after the packet for the trailer.
final class PacketBuffer {
    let storage: UnsafeMutableRawBufferPointer
    var length: Int

    init(_ bytes: [UInt8], capacity: Int = 2208, offset: Int = 0) {
        let base = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity + offset, alignment: 16)
        base.initializeMemory(as: UInt8.self, repeating: 0)
        storage = UnsafeMutableRawBufferPointer(rebasing: base[offset...])
        storage.copyBytes(from: bytes)
        length = bytes.count
        allocation = base
    }

    private let allocation: UnsafeMutableRawBufferPointer

    deinit { allocation.deallocate() }

    var bytes: [UInt8] { Array(storage[0..<length]) }

    func protectRTP(_ context: SRTPContext) throws(SRTPPacketError) { length = try context.protectRTP(storage, length: length) }
    func unprotectRTP(_ context: SRTPContext) throws(SRTPPacketError) { length = try context.unprotectRTP(storage, length: length) }
    func protectRTCP(_ context: SRTPContext) throws(SRTPPacketError) { length = try context.protectRTCP(storage, length: length) }
    func unprotectRTCP(_ context: SRTPContext) throws(SRTPPacketError) { length = try context.unprotectRTCP(storage, length: length) }

    // The same through libsrtp2, the reference implementation.
    func protectRTP(_ session: SRTPLibrarySession) throws(SRTPLibraryError) { length = try session.protectRTP(storage, length: length) }
    func unprotectRTP(_ session: SRTPLibrarySession) throws(SRTPLibraryError) { length = try session.unprotectRTP(storage, length: length) }
    func protectRTCP(_ session: SRTPLibrarySession) throws(SRTPLibraryError) { length = try session.protectRTCP(storage, length: length) }
    func unprotectRTCP(_ session: SRTPLibrarySession) throws(SRTPLibraryError) { length = try session.unprotectRTCP(storage, length: length) }
}
