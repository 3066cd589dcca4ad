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
    var persisted: [CallHandle: EstablishedCallRecord] = [:]
    /// The source each side latched to, per call, as the relay reported it.
    var latched: [CallHandle: [LegSide: MediaAddress]] = [:]
    /// Rows of records that could not be restored, to delete.
    var orphans: [String] = []
}

/// A change to the stored snapshots of established calls, for the driver to write.
public enum EstablishedCallWrite: Sendable, Equatable {
    /// Insert or replace the call's row.
    case save(EstablishedCallRecord)
    /// The call ended (or is ending): delete its row.
    case remove(key: String)
}
