import Media

/// The B2BUA's bookkeeping for established calls that must survive a restart: which calls
/// changed since the driver last took their snapshots, the snapshot last handed over for each,
/// and the writes waiting for the driver.
///
/// Why "dirty" marks plus a comparison rather than a write per message: a call is marked by
/// any message of its dialogs, but only a snapshot that differs from the last one written
/// becomes a write, so retransmissions, OPTIONS and INFO cost a comparison, not a disk write.
struct CallRecovery: Sendable {
    /// Off until the driver enables it (a B2BUA without a state store keeps no snapshots).
    var enabled = false
    var dirty: Set<CallHandle> = []
    /// Per call, what was last handed over: its row key and a digest of the record, which is
    /// all the comparison needs. Keeping the whole record was about 6 KB per established call.
    var persisted: [CallHandle: PersistedSnapshot] = [:]
    /// The source each side latched to, per call, as the relay reported it.
    var latched: [CallHandle: [LegSide: MediaAddress]] = [:]
    /// Rows of records that could not be restored, to delete.
    var orphans: [String] = []
    /// How long a newly answered call waits for its first snapshot (`enableCallRecovery`).
    var firstWriteDelay: Duration = .zero
    /// Calls whose first snapshot waits for the delay, in answer order (so in due order), from
    /// `heldHead` on; `held` says which calls are in it.
    private var heldQueue: [(due: Duration, handle: CallHandle)] = []
    private var heldHead = 0
    private var held: Set<CallHandle> = []

    /// When the earliest held-back first snapshot falls due.
    var nextFirstWrite: Duration? { heldHead < heldQueue.count ? heldQueue[heldHead].due : nil }

    mutating func holdFirstWrite(_ handle: CallHandle, due: Duration) {
        if held.insert(handle).inserted { heldQueue.append((due, handle)) }
    }

    /// Calls whose first snapshot is due go back to `dirty`, to be written now (or, ended
    /// meanwhile, to be forgotten).
    mutating func releaseDueFirstWrites(now: Duration) {
        while heldHead < heldQueue.count, heldQueue[heldHead].due <= now {
            let handle = heldQueue[heldHead].handle
            held.remove(handle)
            dirty.insert(handle)
            heldHead += 1
        }
        if heldHead > 1024, heldHead * 2 > heldQueue.count {
            heldQueue.removeFirst(heldHead)
            heldHead = 0
        }
    }
}

/// The last snapshot handed over for a call, as far as change detection needs it. A 64-bit
/// SipHash of the record: two different snapshots of one call colliding (and the second not
/// being written) is a 2^-64 event.
struct PersistedSnapshot: Sendable, Equatable {
    let key: String
    let digest: Int

    init(_ record: EstablishedCallRecord) {
        key = record.key
        digest = record.hashValue
    }
}

/// A change to the stored snapshots of established calls, for the driver to write.
public enum EstablishedCallWrite: Sendable, Equatable {
    /// Insert or replace the call's row.
    case save(EstablishedCallRecord)
    /// The call ended (or is ending): delete its row.
    case remove(key: String)
}
