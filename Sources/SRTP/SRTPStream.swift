/// The head of a stream's slot in an ``SRTPStreamTable``: which SSRC it is and when it was last
/// used, for choosing which stream to forget when the table is full. Its windows follow it in the
/// slot.
struct SRTPStream {
    var ssrc: UInt32
    var lastUse: UInt64
}
