#!/usr/bin/env python3
"""midcall_media.py - the RTP of every party of bench/midcall.sh (stdlib only).

One process, three UDP sockets: the platform (--platform), carrier A (--carrier-a) and carrier B
(--carrier-b). SIPp does the signalling: the platform's SDP names --platform, each carrier's
answer names its socket, and the platform's SIPp logs the SBC's platform-side relay port of every
call to --calls-log ("established <n> <Call-ID> <ip> <port> ...", bench/scenarios/uac_midcall.xml).

  run      plays G.711 (PCMU, 160-byte payload) at --pps per stream and direction:
             platform  -> the SBC's platform-side port of call i (from --calls-log), SSRC 0x5 << 28 | i
             carrier A -> where it hears call i's platform RTP from (the SBC's carrier-side port:
                          symmetric RTP), SSRC 0xA << 28 | i
             carrier B -> the same once the SBC has called it and relays the platform to it,
                          SSRC 0xB << 28 | i
           Phases: wait for --calls calls in the log; wait until carrier A's RTP reaches the
           platform on each; --warmup s; carrier A stops sending on every call at once ("stop");
           watch until carrier B's RTP reaches the platform on every call, or until the deadline
           (--media-timeout + --pace-seconds + --grace after the stop, and never later than
           --report-by s after the first call was established: before the platform hangs up).
           Then it prints one "midcall_media result:" line (also to --result) and keeps the
           platform and carrier B playing until SIGTERM/SIGINT or --max-seconds, so that the calls
           stay alive until the platform's BYEs.
           Per call: audio gap = the platform's last packet from carrier A -> its first from carrier
           B; "B called" = stop -> carrier B's first packet of the platform's RTP (the SBC relays to
           B once B has answered); same port = every packet of B reached the platform from the
           port carrier A's did (the platform's port never changed).
  metrics  reads the SBC's /metrics (--url, --token) and prints the mid-call failover figures:
           the failovers counter by trigger, and p50/p99 of the reaction and audio gap histograms
           (interpolated within buckets, like Prometheus' histogram_quantile).
"""
import argparse
import os
import re
import select
import signal
import socket
import struct
import sys
import time
import urllib.request

PLATFORM, CARRIER_A, CARRIER_B = 0x5, 0xA, 0xB
PAYLOAD = b'\xff' * 160                   # PCMU silence, 20 ms


def hostport(s):
    h, _, p = s.rpartition(':')
    return h, int(p)


def pct(values, q):
    """Nearest-rank percentile (q in 0..1) of a list, None when empty."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))
    return v[k]


def ms(x):
    return '-' if x is None else f'{x * 1000:.0f}'


class Media:
    def __init__(self, a):
        self.a = a
        self.socks = {}
        for role, addr in ((PLATFORM, a.platform), (CARRIER_A, a.carrier_a), (CARRIER_B, a.carrier_b)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                try:
                    s.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
                except OSError:
                    pass
            s.bind(hostport(addr))
            s.setblocking(False)
            self.socks[role] = s
        self.role_of = {s.fileno(): r for r, s in self.socks.items()}
        self.n = 0                    # calls known from the log
        self.dest = {PLATFORM: [], CARRIER_A: [], CARRIER_B: []}
        self.a_sending = True
        self.t_established = []       # when each call's log line was read
        self.first_a_at_p = []        # when the platform first heard carrier A
        self.last_a_at_p = []         # ... and last
        self.a_src_at_p = []          # where carrier A's RTP reached the platform from
        self.first_b_at_p = []        # when the platform first heard carrier B
        self.b_wrong_src = []         # packets of B that reached the platform from another port
        self.b_called = []            # when carrier B first heard the platform
        self.after_stop_a = 0         # packets of carrier A the platform got after the stop (in flight)
        self.stray = 0                # packets of a party reaching the wrong socket, or unknown
        self.sent = {PLATFORM: 0, CARRIER_A: 0, CARRIER_B: 0}
        self.received = {PLATFORM: 0, CARRIER_A: 0, CARRIER_B: 0}
        self.send_errors = 0
        self.seq = 0
        self.t_stop = None
        self.log_pos = 0
        self.log_buf = b''
        self.stop = False

    # ------------------------------------------------------------------ the calls log
    def read_log(self, now):
        try:
            with open(self.a.calls_log, 'rb') as f:
                f.seek(self.log_pos)
                chunk = f.read()
        except FileNotFoundError:
            return
        self.log_pos += len(chunk)
        self.log_buf += chunk
        *lines, self.log_buf = self.log_buf.split(b'\n')
        for line in lines:
            m = re.search(rb'established \d+ \S+ ([0-9.]+) (\d+)', line)
            if not m or self.n >= self.a.calls:
                continue
            self.dest[PLATFORM].append((m.group(1).decode(), int(m.group(2))))
            for r in (CARRIER_A, CARRIER_B):
                self.dest[r].append(None)
            self.t_established.append(now)
            for lst in (self.first_a_at_p, self.last_a_at_p, self.a_src_at_p, self.first_b_at_p, self.b_called):
                lst.append(None)
            self.b_wrong_src.append(0)
            self.n += 1

    # ------------------------------------------------------------------ packets
    def send_tick(self):
        self.seq = (self.seq + 1) & 0xFFFF
        head = struct.pack('!BBHI', 0x80, 0, self.seq, (self.seq * 160) & 0xFFFFFFFF)
        for role in (PLATFORM, CARRIER_A, CARRIER_B):
            if role == CARRIER_A and not self.a_sending:
                continue
            s = self.socks[role]
            sendto = s.sendto
            base = role << 28
            sent = 0
            for i, d in enumerate(self.dest[role]):
                if d is None:
                    continue
                try:
                    sendto(head + (base | i).to_bytes(4, 'big') + PAYLOAD, d)
                    sent += 1
                except (BlockingIOError, ConnectionRefusedError, InterruptedError):
                    self.send_errors += 1
                except OSError:
                    self.send_errors += 1
            self.sent[role] += sent

    def drain(self, role, now):
        s = self.socks[role]
        recv = s.recvfrom
        for _ in range(4096):
            try:
                data, src = recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:           # an ICMP error for something we sent
                continue
            if len(data) < 12:
                self.stray += 1
                continue
            ssrc = int.from_bytes(data[8:12], 'big')
            who, i = ssrc >> 28, ssrc & 0x0FFFFFFF
            if i >= self.n:
                self.stray += 1
                continue
            self.received[role] += 1
            if role == PLATFORM:
                if who == CARRIER_A:
                    if self.t_stop is not None and now - self.t_stop > 0.5:
                        self.after_stop_a += 1
                    if self.first_a_at_p[i] is None:
                        self.first_a_at_p[i] = now
                        self.a_src_at_p[i] = src
                    self.last_a_at_p[i] = now
                elif who == CARRIER_B:
                    if self.first_b_at_p[i] is None:
                        self.first_b_at_p[i] = now
                    if src != self.a_src_at_p[i]:
                        self.b_wrong_src[i] += 1
                else:
                    self.stray += 1
            elif who == PLATFORM:
                # a carrier hears the platform: symmetric RTP, answer to where it comes from
                if self.dest[role][i] is None:
                    self.dest[role][i] = src
                    if role == CARRIER_B:
                        self.b_called[i] = now
            else:
                self.stray += 1

    def pump_until(self, deadline, done=None):
        """Plays every stream and drains every socket until `deadline` (monotonic) or done()."""
        period = 1.0 / self.a.pps
        nxt = time.monotonic()
        fds = list(self.socks.values())
        last_log = 0.0
        while not self.stop:
            now = time.monotonic()
            if now >= deadline:
                return False
            if now >= nxt:
                self.send_tick()
                nxt += period
                if now - nxt > 0.2:                   # fell behind: never burst to catch up
                    nxt = now + period
            if now - last_log > 0.05:
                self.read_log(now)
                last_log = now
            if done is not None and done():
                return True
            wait = max(0.0, min(nxt, deadline) - time.monotonic())
            try:
                ready, _, _ = select.select(fds, [], [], wait)
            except InterruptedError:
                continue
            now = time.monotonic()
            for s in ready:
                self.drain(self.role_of[s.fileno()], now)
        return False

    # ------------------------------------------------------------------ the run
    def run(self):
        a = self.a
        t0 = time.monotonic()
        # 1. calls: as SIPp logs them (media starts for each as soon as it is known)
        self.pump_until(t0 + a.setup_timeout, lambda: self.n >= a.calls)
        t_setup = time.monotonic()
        report_by = (self.t_established[0] + a.report_by) if self.n else t_setup
        if self.n == 0:
            return self.report(t0, t_setup, 'no call established')
        # 2. carrier A's RTP reaches the platform on every call (A learns its ports from the platform's)
        self.pump_until(min(t_setup + a.flow_timeout, report_by),
                        lambda: all(x is not None for x in self.first_a_at_p))
        # 3. warm-up, then carrier A stops on every call at once
        self.pump_until(min(time.monotonic() + a.warmup, report_by))
        self.a_sending = False
        self.t_stop = time.monotonic()
        print(f'midcall_media stop: calls={self.n} a_flowing={sum(x is not None for x in self.first_a_at_p)} '
              f'at={self.t_stop - t0:.3f}s', flush=True)
        # 4. every call's carrier B heard on the platform, or the deadline
        deadline = min(self.t_stop + a.media_timeout + a.pace_seconds + a.grace, report_by)
        self.pump_until(deadline, lambda: all(x is not None for x in self.first_b_at_p))
        # 5. a little more, for B's packets from a wrong port to show
        self.pump_until(min(time.monotonic() + 0.3, report_by))
        return self.report(t0, t_setup, '')

    def report(self, t0, t_setup, note):
        n = self.n
        flowing = [i for i in range(n) if self.first_a_at_p[i] is not None]
        b_audio = [i for i in flowing if self.first_b_at_p[i] is not None]
        same_port = [i for i in b_audio if self.b_wrong_src[i] == 0]
        gaps = [self.first_b_at_p[i] - self.last_a_at_p[i] for i in b_audio]
        called = [self.b_called[i] - self.t_stop for i in range(n)
                  if self.b_called[i] is not None and self.t_stop is not None]
        # the rate the platform's streams actually got (below --pps: this tool fell behind, the
        # host is short of CPU, and every time above is coarser by about 1/pps)
        now = time.monotonic()
        playing = sum(now - t for t in self.t_established)
        pps_p = self.sent[PLATFORM] / playing if playing > 0 else 0.0
        fields = {
            'calls': self.a.calls, 'established': n, 'a_flowing': len(flowing), 'b_audio': len(b_audio),
            'same_port': len(same_port), 'b_called': len(called),
            'gap_p50_ms': ms(pct(gaps, 0.5)), 'gap_p99_ms': ms(pct(gaps, 0.99)), 'gap_max_ms': ms(max(gaps) if gaps else None),
            'called_first_ms': ms(min(called) if called else None), 'called_p50_ms': ms(pct(called, 0.5)),
            'called_last_ms': ms(max(called) if called else None),
            'called_spread_ms': ms(max(called) - min(called) if called else None),
            'setup_s': f'{t_setup - t0:.2f}', 'pps_p': f'{pps_p:.1f}', 'a_after_stop': self.after_stop_a,
            'stray': self.stray,
            'send_errors': self.send_errors,
            'sent_p': self.sent[PLATFORM], 'sent_a': self.sent[CARRIER_A], 'sent_b': self.sent[CARRIER_B],
            'rx_p': self.received[PLATFORM], 'rx_a': self.received[CARRIER_A], 'rx_b': self.received[CARRIER_B],
        }
        line = 'midcall_media result: ' + ' '.join(f'{k}={v}' for k, v in fields.items())
        if note:
            line += f' note="{note}"'
        print(line, flush=True)
        if self.a.result:
            with open(self.a.result + '.tmp', 'w') as f:
                f.write(line + '\n')
            os.replace(self.a.result + '.tmp', self.a.result)
        return line

    def hold(self):
        """Keeps the platform and carrier B playing until told to stop."""
        self.pump_until(time.monotonic() + self.a.max_seconds)


def cmd_run(a):
    m = Media(a)

    def on_sig(signum, frame):
        m.stop = True
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(sig, on_sig)
    m.run()
    m.hold()
    return 0


# ---------------------------------------------------------------------- /metrics
def parse_metrics(text):
    """{name: [(labels dict, value)]} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ''))
        try:
            value = float(m.group(4))
        except ValueError:
            continue
        out.setdefault(m.group(1), []).append((labels, value))
    return out


def histogram_quantile(series, name, q):
    """Prometheus' histogram_quantile over the `le` buckets of `name` (None without samples)."""
    buckets = []
    for labels, value in series.get(name + '_bucket', []):
        le = labels.get('le')
        if le is None:
            continue
        buckets.append((float('inf') if le in ('+Inf', 'Inf') else float(le), value))
    buckets.sort()
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if le == float('inf'):
                return prev_le
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


def cmd_metrics(a):
    req = urllib.request.Request(a.url, headers={'Authorization': f'Bearer {a.token}'})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            text = r.read().decode('utf-8', 'replace')
    except Exception as e:                      # noqa: BLE001 - any failure is reported, not raised
        print(f'sbc_metrics error="{e}"')
        return 1
    s = parse_metrics(text)
    fields = {}
    by_trigger = {}
    for labels, v in s.get('sbc_mid_call_failovers_total', []):
        key = f'{labels.get("trunk", "?")}/{labels.get("trigger", "?")}'
        by_trigger[key] = by_trigger.get(key, 0) + v
    fields['failovers'] = ','.join(f'{k}:{v:.0f}' for k, v in sorted(by_trigger.items())) or '0'
    fields['failures'] = f'{sum(v for _, v in s.get("sbc_mid_call_failover_failures_total", [])):.0f}'
    for short, name in (('reaction', 'sbc_mid_call_failover_reaction_seconds'),
                        ('gap', 'sbc_mid_call_failover_audio_gap_seconds')):
        count = sum(v for _, v in s.get(name + '_count', []))
        total = sum(v for _, v in s.get(name + '_sum', []))
        fields[f'{short}_count'] = f'{count:.0f}'
        fields[f'{short}_mean_ms'] = f'{1000 * total / count:.1f}' if count else '-'
        for q, tag in ((0.5, 'p50'), (0.99, 'p99')):
            v = histogram_quantile(s, name, q) if count else None
            fields[f'{short}_{tag}_ms'] = '-' if v is None else f'{v * 1000:.1f}'
    print('sbc_metrics ' + ' '.join(f'{k}={v}' for k, v in fields.items()))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='op', required=True)
    r = sub.add_parser('run')
    r.add_argument('--platform', required=True, help='the platform media socket IP:PORT')
    r.add_argument('--carrier-a', required=True)
    r.add_argument('--carrier-b', required=True)
    r.add_argument('--calls-log', required=True, help="the platform SIPp's -trace_logs file")
    r.add_argument('--calls', type=int, required=True)
    r.add_argument('--pps', type=float, default=50.0)
    r.add_argument('--setup-timeout', type=float, default=60.0)
    r.add_argument('--flow-timeout', type=float, default=5.0)
    r.add_argument('--warmup', type=float, default=2.0)
    r.add_argument('--media-timeout', type=float, default=4.0)
    r.add_argument('--pace-seconds', type=float, default=0.0, help='extra seconds the pacing may take')
    r.add_argument('--grace', type=float, default=4.0)
    r.add_argument('--report-by', type=float, default=600.0,
                   help='report at the latest this many seconds after the first call was established')
    r.add_argument('--max-seconds', type=float, default=600.0, help='stop playing by itself after this long')
    r.add_argument('--result', help='file written (atomically) with the result line')
    m = sub.add_parser('metrics')
    m.add_argument('--url', required=True)
    m.add_argument('--token', required=True)
    a = ap.parse_args()
    sys.exit(cmd_run(a) if a.op == 'run' else cmd_metrics(a))


if __name__ == '__main__':
    main()
