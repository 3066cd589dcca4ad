/// Media-timeout detection for one side of a session: has its remote party gone quiet for
/// longer than the timeout that applies to it?
///
/// Silence is counted from the later of the last packet and the moment of arming, so a call
/// answered after a long ring does not time out at once, and a restart (re-arming, a new remote,
/// a change of direction) gives the party a full timeout to start sending. It fires once per
/// arming: the B2BUA decides what a timeout means (end the call, fail over) and must not be
/// asked again every tick.
///
/// Time is injected (`now` is any monotonic clock reading) so it is tested with a manual clock.
public struct SilenceTracker: Sendable, Equatable {
    public var timeouts: MediaTimeouts
    /// The remote party's direction says it sends: `active` applies, otherwise `hold`.
    public private(set) var remoteSends: Bool
    public private(set) var isArmed = false
    public private(set) var hasFired = false
    /// The later of the last packet and the last (re)start of the clock.
    public private(set) var lastActivity: Duration = .zero

    public init(timeouts: MediaTimeouts, remoteSends: Bool) {
        self.timeouts = timeouts
        self.remoteSends = remoteSends
    }

    /// The timeout in force; nil when it is off.
    public var applicableTimeout: Duration? {
        remoteSends ? timeouts.active : timeouts.hold
    }

    /// Starts (or restarts) counting: the clock resets and the tracker may fire again.
    public mutating func arm(now: Duration) {
        isArmed = true
        hasFired = false
        lastActivity = now
    }

    public mutating func disarm() {
        isArmed = false
        hasFired = false
    }

    /// Restarts the clock of an armed tracker without changing whether it is armed.
    public mutating func restart(now: Duration) {
        if isArmed { arm(now: now) }
    }

    /// A packet from the remote party arrived at `time`.
    public mutating func packetReceived(at time: Duration) {
        if time > lastActivity { lastActivity = time }
    }

    /// A change of direction changes which timeout applies and what silence means (a party
    /// coming off hold needs time to start sending), so the clock restarts.
    public mutating func setRemoteSends(_ sends: Bool, now: Duration) {
        guard sends != remoteSends else { return }
        remoteSends = sends
        restart(now: now)
    }

    /// When the tracker would fire if nothing arrives; nil when it cannot fire.
    public var deadline: Duration? {
        guard isArmed, !hasFired, let timeout = applicableTimeout else { return nil }
        return lastActivity + timeout
    }

    /// Returns the silence when the timeout has just been reached, nil otherwise (including
    /// every later call until re-armed).
    public mutating func check(now: Duration) -> Duration? {
        guard let deadline, now >= deadline else { return nil }
        hasFired = true
        return now - lastActivity
    }
}
