import Media
import SDP
import Synchronization

/// The way into one worker's mailbox: a command that needs SRTP contexts goes through the
/// relay's setup thread, which builds them and then posts the command with the contexts
/// attached; any other command goes straight in, unless an earlier one is still being built
/// for, in which case it queues behind it on the setup thread.
///
/// Why this keeps a worker's commands in order: a command is posted directly only while
/// `inFlight` is 0, i.e. when every command routed through the setup thread before it has
/// already been posted; the setup thread runs its jobs in FIFO order; and a job's post and its
/// `inFlight` decrement happen under the same lock the direct path checks. So the mailbox
/// receives commands in `submit` order, whichever path each took. The price of the detour is a
/// thread hop (tens of microseconds) for commands that follow a build closely, paid only then.
///
/// What needs building is decided here, against the keys of the session's previous command:
/// the worker holds exactly those once it has taken every earlier command, so a side whose keys
/// did not change (hold/resume, a new carrier on the other side) is not rebuilt, and the worker
/// keeps its contexts and rollover counters. A worker that finds no prepared contexts for keys
/// it does not hold (possible only after a failed create) builds them itself and says so.
final class RelayCommandGate: Sendable {
    private struct LegKeys: Sendable, Equatable {
        var stream: Int
        var side: MediaSide
        var keys: SDESStreamKeys
    }

    /// Contexts to build: the keys, and where their streams stood in a previous process.
    private struct Build: Sendable {
        var leg: LegKeys
        var resume: SRTPLegPositions?
    }

    private struct State: ~Copyable {
        /// Commands handed to the setup thread and not yet posted.
        var inFlight = 0
        /// The SRTP keys of each session's last command, for sessions that have any.
        var keys: [MediaSessionID: [LegKeys]] = [:]

        /// Records `command`'s keys and returns those that differ from the previous command's.
        mutating func keysToBuild(for command: MediaCommand) -> [Build] {
            switch command {
            case .destroy(let id):
                if !keys.isEmpty { keys[id] = nil }
                return []
            case .telephoneEvent:
                return []
            case .apply(let spec):
                var wanted: [Build] = []
                for stream in spec.streams {
                    for side in MediaSide.allCases {
                        if let legKeys = stream.relaySRTP(side) {
                            wanted.append(Build(leg: LegKeys(stream: stream.index, side: side, keys: legKeys),
                                                resume: stream[side].srtpResume))
                        }
                    }
                }
                if wanted.isEmpty {
                    if !keys.isEmpty { keys[spec.id] = nil }
                    return []
                }
                let previous = keys.updateValue(wanted.map(\.leg), forKey: spec.id) ?? []
                return wanted.filter { !previous.contains($0.leg) }
            }
        }
    }

    private let state = Mutex(State())
    private let mailbox: RelayMailbox
    private let setup: RelaySetupThread

    init(mailbox: RelayMailbox, setup: RelaySetupThread) {
        self.mailbox = mailbox
        self.setup = setup
    }

    func submit(_ command: MediaCommand) {
        state.withLock { state in
            let needed = state.keysToBuild(for: command)
            guard !needed.isEmpty || state.inFlight > 0 else {
                mailbox.post(RelayCommand(command: command))
                return
            }
            state.inFlight += 1
            let queued = setup.enqueue { [self] in
                let prepared = needed.map { RelayCommand.PreparedSRTP(
                    stream: $0.leg.stream, side: $0.leg.side, srtp: RelayLegSRTP(keys: $0.leg.keys, resume: $0.resume)) }
                deliver(RelayCommand(command: command, srtp: prepared))
            }
            if !queued {
                // The relay is stopping: the mailbox drops it too, but keep the count honest.
                state.inFlight -= 1
                mailbox.post(RelayCommand(command: command))
            }
        }
    }

    /// On the setup thread: the command and its contexts go to the worker.
    private func deliver(_ command: RelayCommand) {
        state.withLock { state in
            mailbox.post(command)
            state.inFlight -= 1
        }
    }
}
