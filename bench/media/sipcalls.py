#!/usr/bin/env python3
"""sipcalls.py - set up N long calls through the SBC over UDP for the media benchmark (stdlib only).

Plays both ends of every call in one process:

  platform UAC  (--platform IP:PORT) sends INVITE to the SBC (--sbc IP:PORT) with SDP
                c=IN IP4 <gen A ip> / m=audio <gen A port> RTP/AVP 0 101; ACKs the 200; later BYEs.
  carrier UAS   (--carrier IP:PORT) receives the SBC's INVITE, answers 100 and 200 with SDP
                pointing at gen B; answers ACK/BYE/OPTIONS (and re-INVITEs, with the same SDP).

The SBC's rewritten SDPs give its media ports: the 200 the UAC receives says where gen A must send
(the SBC's platform-facing port), the INVITE the UAS receives says where gen B must send (the SBC's
carrier-facing port). Once every call is set up (or has failed), the rtpgen stream file is written:

  stream 2k   : gen A -> SBC platform-side port of established call k   "0 IP PORT"
  stream 2k+1 : gen B -> SBC carrier-side port of established call k    "1 IP PORT"

(with --per-call-ports: "GENA_IP:PORTA+2i IP PORT" / "GENB_IP:PORTB+2i IP PORT", i.e. one
generator socket per call leg; the SDPs then advertise those ports). rtpgen is started with
"-b GENA -b GENB -f FILE" (or just "-f FILE" with --per-call-ports).

With --srtp SUITE the platform offers RTP/SAVP with an a=crypto line of that suite and a fresh key
per call; a call counts as established only if the SBC's answer carries an a=crypto of that
suite. Stream 2k then ends with "tx=SUITE:KEY" (gen A protects with the platform's key) and
stream 2k+1 with "rx=SUITE:SBCKEY" (what reaches gen A is unprotected with the SBC's key for the
platform leg). The carrier side stays plain RTP (its trunk's srtp policy is none).

  sipcalls.py run --calls N --streams FILE [--ready FILE] ...
      sets the calls up, writes FILE, prints a "sipcalls setup:" line (and writes it to --ready),
      then keeps answering until SIGUSR1 or SIGTERM (or --max-seconds): then it tears every call
      down (BYE from the UAC, 200 expected; the SBC's BYE to the carrier is answered 200), prints a
      "sipcalls teardown:" line and exits (0 if every established call was torn down cleanly).
  sipcalls.py options [--tries 10]
      one OPTIONS from the platform address to the SBC; exit 0 on a 200 (readiness probe).

Retransmissions: INVITE and BYE are retransmitted (RFC 3261 timers A/E, T1 = 500 ms); a
retransmitted 200 to the INVITE is ACKed again; the UAS retransmits its 200 until the ACK arrives
and repeats its last response to a retransmitted request; other duplicates are ignored.
Vias are rport-less with the real port; Contacts carry the real address and port.
"""
import argparse
import base64
import heapq
import os
import re
import select
import signal
import socket
import sys
import time

T1, T2 = 0.5, 4.0
COMPACT = {'i': 'call-id', 'f': 'from', 't': 'to', 'v': 'via', 'm': 'contact', 'l': 'content-length',
           'c': 'content-type', 'k': 'supported', 's': 'subject', 'e': 'content-encoding'}


def hostport(s):
    h, _, p = s.rpartition(':')
    return h, int(p)


class Msg:
    """A parsed SIP message: start line, headers in order (lower-case names), body."""
    __slots__ = ('start', 'headers', 'body', 'is_request', 'method', 'uri', 'status')

    def __init__(self, data):
        head, _, body = data.partition(b'\r\n\r\n')
        lines = head.decode('utf-8', 'replace').split('\r\n')
        self.start = lines[0]
        self.headers = []
        for ln in lines[1:]:
            if ln[:1] in (' ', '\t') and self.headers:        # folded line
                n, v = self.headers[-1]; self.headers[-1] = (n, v + ' ' + ln.strip()); continue
            name, _, value = ln.partition(':')
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))
        clen = self.get('content-length')
        self.body = body[:int(clen)] if clen and clen.isdigit() else body
        parts = self.start.split(' ', 2)
        self.is_request = not parts[0].startswith('SIP/')
        if self.is_request:
            self.method, self.uri, self.status = parts[0], parts[1] if len(parts) > 1 else '', 0
        else:
            self.method, self.uri = '', ''
            self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    def get(self, name):
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def all(self, name):
        return [v for n, v in self.headers if n == name]

    def cseq(self):
        v = self.get('cseq') or '0 X'
        n, _, m = v.partition(' ')
        return int(n) if n.isdigit() else 0, m.strip().upper()


def tag_of(v):
    m = re.search(r';\s*tag=([^;>\s,]+)', v or '', re.I)
    return m.group(1) if m else None


def uri_of(v):
    """URI of a name-addr (Contact, Record-Route) value."""
    m = re.search(r'<([^>]*)>', v or '')
    return m.group(1) if m else (v or '').split(';')[0].strip()


def sdp_media(body):
    """(ip, port) of the first audio stream of an SDP body, or None."""
    s = body.decode('utf-8', 'replace')
    ip = None; port = None; in_audio = False
    for ln in s.splitlines():
        if ln.startswith('m='):
            if port is not None:
                break
            f = ln[2:].split()
            in_audio = f[0] == 'audio'
            if in_audio:
                port = int(f[1])
        elif ln.startswith('c=') and (port is None or in_audio):
            f = ln[2:].split()
            if len(f) >= 3:
                ip = f[2].split('/')[0]
    return (ip, port) if ip and port else None


SRTP_KEY_BYTES = {'AES_CM_128_HMAC_SHA1_80': 30, 'AES_CM_128_HMAC_SHA1_32': 30, 'AEAD_AES_128_GCM': 28}


def sdp_crypto(body, suite):
    """The inline key of the first a=crypto line of `suite` in an SDP body, or None."""
    m = re.search(r'^a=crypto:\d+ ' + re.escape(suite) + r' inline:([A-Za-z0-9+/=]+)', body.decode('utf-8', 'replace'), re.M)
    return m.group(1) if m else None


def make_sdp(ip, port, sess, crypto=None):
    """PCMU + telephone-event; with crypto = (suite, base64 key), RTP/SAVP and its a=crypto."""
    proto = 'RTP/SAVP' if crypto else 'RTP/AVP'
    line = f'a=crypto:1 {crypto[0]} inline:{crypto[1]}\r\n' if crypto else ''
    return (f'v=0\r\no=- {sess} 1 IN IP4 {ip}\r\ns=sipcalls\r\nc=IN IP4 {ip}\r\nt=0 0\r\n'
            f'm=audio {port} {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\n'
            f'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n{line}').encode()


def build(start, headers, body=b''):
    out = [start]
    out += [f'{n}: {v}' for n, v in headers]
    out.append(f'Content-Length: {len(body)}')
    return ('\r\n'.join(out) + '\r\n\r\n').encode() + body


class Call:
    __slots__ = ('i', 'call_id', 'from_tag', 'to_hdr', 'target', 'routes', 'state', 'invite', 'inv_branch',
                 'ack', 'bye', 'sbc_a', 'sbc_b', 'gen_a', 'gen_b', 't_invite', 'late', 'key', 'sbc_key')

    def __init__(self, i):
        self.i = i
        self.state = 'new'    # new, inviting, proceeding, up, failed, byeing, done, bye_failed, remote_bye
        self.to_hdr = None; self.target = None; self.routes = []; self.ack = None; self.bye = None
        self.sbc_a = None; self.sbc_b = None; self.late = False; self.key = None; self.sbc_key = None


class Runner:
    def __init__(self, a):
        self.a = a
        self.sbc = hostport(a.sbc)
        self.plat = hostport(a.platform)
        self.carr = hostport(a.carrier)
        self.gen_a = hostport(a.gen_a)
        self.gen_b = hostport(a.gen_b)
        self.uac = self._sock(self.plat)
        self.uas = self._sock(self.carr)
        self.timers = []; self.tseq = 0
        self.calls = []
        self.by_cid = {}          # UAC Call-ID -> Call
        self.uas_dialogs = {}     # (Call-ID, from-tag) -> dict(call, resp200, acked, ended, last)
        self.uas_by_index = {}    # call index -> carrier-side SBC media (ip, port)
        self.uas_last = {}        # (Call-ID, branch, method) -> last response bytes (retransmissions)
        self.n_sent = 0
        self.stats = {'options_answered': 0, 'uas_byes': 0, 'retrans_invite': 0, 'retrans_bye': 0,
                      'dup_200': 0, 'uas_retrans_200': 0, 'remote_byes': 0, 'unexpected': 0, 'errors': 0}
        self.stop = False
        self.tag_base = f'{os.getpid():x}'

    def _sock(self, addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for opt, size in ((socket.SO_RCVBUF, 4 << 20), (socket.SO_SNDBUF, 4 << 20)):
            try:
                s.setsockopt(socket.SOL_SOCKET, opt, size)
            except OSError:
                pass
        s.bind(addr)
        s.setblocking(False)
        return s

    # ------------------------------------------------------------------ timers / io
    def at(self, delay, fn, *args):
        self.tseq += 1
        heapq.heappush(self.timers, (time.monotonic() + delay, self.tseq, fn, args))

    def send(self, sock, data, dst):
        try:
            sock.sendto(data, dst)
        except (BlockingIOError, InterruptedError):
            self.at(0.01, self.send, sock, data, dst)
        except OSError:
            self.stats['errors'] += 1

    def poll(self, max_wait):
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, fn, args = heapq.heappop(self.timers)
            fn(*args)
        wait = max_wait
        if self.timers:
            wait = max(0.0, min(wait, self.timers[0][0] - time.monotonic()))
        r, _, _ = select.select([self.uac, self.uas], [], [], wait)
        for s in r:
            for _ in range(256):
                try:
                    data, src = s.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                if not data.strip():
                    continue               # keep-alive CRLF
                try:
                    m = Msg(data)
                except Exception:
                    self.stats['errors'] += 1
                    continue
                if s is self.uac:
                    self.on_uac(m, src)
                else:
                    self.on_uas(m, src)

    # ------------------------------------------------------------------ common answers
    def respond(self, sock, req, src, code, reason, extra=(), body=b'', to_tag=None):
        hdrs = [('Via', v) for v in req.all('via')]
        to = req.get('to') or ''
        if to_tag and not tag_of(to):
            to += f';tag={to_tag}'
        hdrs += [('From', req.get('from') or ''), ('To', to), ('Call-ID', req.get('call-id') or ''),
                 ('CSeq', req.get('cseq') or '')]
        hdrs += [('Record-Route', v) for v in req.all('record-route')] if code // 100 == 2 or code == 180 else []
        hdrs += list(extra)
        data = build(f'SIP/2.0 {code} {reason}', hdrs, body)
        self.send(sock, data, src)
        return data

    def answer_misc(self, sock, m, src, local, sdp_ip_port):
        """Requests either side may get outside the main flow: OPTIONS, re-INVITE, INFO, UPDATE..."""
        contact = [('Contact', f'<sip:bench@{local[0]}:{local[1]}>')]
        if m.method == 'OPTIONS':
            self.stats['options_answered'] += 1
            self.respond(sock, m, src, 200, 'OK', contact + [('Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS')])
        elif m.method == 'INVITE':           # re-INVITE: same media
            self.respond(sock, m, src, 200, 'OK', contact + [('Content-Type', 'application/sdp')],
                         make_sdp(sdp_ip_port[0], sdp_ip_port[1], 1))
        elif m.method != 'ACK':
            self.respond(sock, m, src, 200, 'OK', contact)

    # ------------------------------------------------------------------ UAC (platform)
    def gen_addr(self, base, i):
        return (base[0], base[1] + 2 * i) if self.a.per_call_ports else base

    def start_call(self, i):
        c = Call(i)
        c.call_id = f'mb-{self.tag_base}-{i}@{self.plat[0]}'
        c.from_tag = f'a{self.tag_base}{i}'
        c.gen_a = self.gen_addr(self.gen_a, i)
        c.gen_b = self.gen_addr(self.gen_b, i)
        c.inv_branch = f'z9hG4bK-mb{self.tag_base}-{i}-1'
        user = f'+1555{i:07d}'
        sbc = f'{self.sbc[0]}:{self.sbc[1]}'
        if self.a.srtp:
            c.key = base64.b64encode(os.urandom(SRTP_KEY_BYTES[self.a.srtp])).decode()
        c.invite = build(f'INVITE sip:{user}@{sbc} SIP/2.0', [
            ('Via', f'SIP/2.0/UDP {self.plat[0]}:{self.plat[1]};branch={c.inv_branch}'),
            ('Max-Forwards', '70'),
            ('From', f'<sip:+15551230000@{self.plat[0]}>;tag={c.from_tag}'),
            ('To', f'<sip:{user}@{sbc}>'),
            ('Call-ID', c.call_id),
            ('CSeq', '1 INVITE'),
            ('Contact', f'<sip:platform@{self.plat[0]}:{self.plat[1]}>'),
            ('Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS'),
            ('Content-Type', 'application/sdp'),
        ], make_sdp(c.gen_a[0], c.gen_a[1], 1000 + i, (self.a.srtp, c.key) if c.key else None))
        c.state = 'inviting'; c.t_invite = time.monotonic()
        self.calls.append(c); self.by_cid[c.call_id] = c
        self.send(self.uac, c.invite, self.sbc)
        self.at(T1, self.retrans_invite, c, T1, 0.0)

    def retrans_invite(self, c, interval, elapsed):
        if c.state != 'inviting':
            return
        elapsed += interval
        if elapsed >= 64 * T1:
            c.state = 'failed'; return
        self.stats['retrans_invite'] += 1
        self.send(self.uac, c.invite, self.sbc)
        self.at(interval * 2, self.retrans_invite, c, interval * 2, elapsed)

    def in_dialog(self, c, method, cseq, branch):
        hdrs = [('Via', f'SIP/2.0/UDP {self.plat[0]}:{self.plat[1]};branch={branch}'), ('Max-Forwards', '70')]
        hdrs += [('Route', r) for r in c.routes]
        hdrs += [('From', f'<sip:+15551230000@{self.plat[0]}>;tag={c.from_tag}'), ('To', c.to_hdr),
                 ('Call-ID', c.call_id), ('CSeq', f'{cseq} {method}')]
        if method != 'ACK':
            hdrs.append(('Contact', f'<sip:platform@{self.plat[0]}:{self.plat[1]}>'))
        return build(f'{method} {c.target} SIP/2.0', hdrs)

    def on_uac(self, m, src):
        if m.is_request:
            c = self.by_cid.get(m.get('call-id'))
            if m.method == 'BYE' and c is not None:
                self.respond(self.uac, m, src, 200, 'OK')
                if c.state in ('up', 'proceeding', 'inviting'):
                    c.state = 'remote_bye'; self.stats['remote_byes'] += 1
                return
            self.answer_misc(self.uac, m, src, self.plat, c.gen_a if c else self.gen_a)
            return
        c = self.by_cid.get(m.get('call-id'))
        if c is None:
            self.stats['unexpected'] += 1; return
        _, method = m.cseq()
        if method == 'INVITE':
            if m.status < 200:
                if c.state == 'inviting':
                    c.state = 'proceeding'
            elif m.status < 300:
                if c.ack is not None:            # retransmitted 200: ACK again
                    self.stats['dup_200'] += 1
                    self.send(self.uac, c.ack, self.sbc); return
                c.to_hdr = m.get('to')
                c.target = uri_of(m.get('contact')) or f'sip:{self.sbc[0]}:{self.sbc[1]}'
                c.routes = list(reversed(m.all('record-route')))
                c.sbc_a = sdp_media(m.body)
                if self.a.srtp:
                    c.sbc_key = sdp_crypto(m.body, self.a.srtp)
                c.ack = self.in_dialog(c, 'ACK', 1, f'z9hG4bK-mb{self.tag_base}-{c.i}-ack')
                self.send(self.uac, c.ack, self.sbc)
                if c.state in ('failed',):
                    c.late = True
                if c.state in ('inviting', 'proceeding', 'failed'):
                    c.state = 'up'
            else:                                # non-2xx final: hop-by-hop ACK (same branch)
                ack = build(f'ACK {c.invite.split(b" ", 2)[1].decode()} SIP/2.0', [
                    ('Via', f'SIP/2.0/UDP {self.plat[0]}:{self.plat[1]};branch={c.inv_branch}'),
                    ('Max-Forwards', '70'),
                    ('From', f'<sip:+15551230000@{self.plat[0]}>;tag={c.from_tag}'), ('To', m.get('to') or ''),
                    ('Call-ID', c.call_id), ('CSeq', '1 ACK')])
                self.send(self.uac, ack, self.sbc)
                if c.state in ('inviting', 'proceeding'):
                    c.state = 'failed'
        elif method == 'BYE' and m.status >= 200:
            if c.state == 'byeing':
                c.state = 'done' if m.status < 300 else 'bye_failed'

    def send_bye(self, c):
        if c.state != 'up':
            return
        c.state = 'byeing'
        c.bye = self.in_dialog(c, 'BYE', 2, f'z9hG4bK-mb{self.tag_base}-{c.i}-bye')
        self.send(self.uac, c.bye, self.sbc)
        self.at(T1, self.retrans_bye, c, T1, 0.0)

    def retrans_bye(self, c, interval, elapsed):
        if c.state != 'byeing':
            return
        elapsed += interval
        if elapsed >= 64 * T1:
            c.state = 'bye_failed'; return
        self.stats['retrans_bye'] += 1
        self.send(self.uac, c.bye, self.sbc)
        nxt = min(interval * 2, T2)
        self.at(nxt, self.retrans_bye, c, nxt, elapsed)

    # ------------------------------------------------------------------ UAS (carrier)
    def call_index(self, m):
        user = re.match(r'sips?:\+?1555(\d{7})@', m.uri)
        if user:
            return int(user.group(1))
        c = self.by_cid.get(m.get('call-id'))      # call_id: preserve
        return c.i if c else None

    def on_uas(self, m, src):
        if not m.is_request:
            return                                  # the UAS sends no requests
        cid = m.get('call-id') or ''
        ftag = tag_of(m.get('from'))
        key = (cid, ftag)
        via = m.get('via') or ''
        bm = re.search(r'branch=([^;,\s]+)', via)
        tkey = (cid, bm.group(1) if bm else '', m.method)
        if m.method != 'ACK' and tkey in self.uas_last:     # retransmitted request: repeat the answer
            self.send(self.uas, self.uas_last[tkey], src); return
        d = self.uas_dialogs.get(key)
        if m.method == 'INVITE' and d is None and not tag_of(m.get('to')):
            i = self.call_index(m)
            gb = self.gen_addr(self.gen_b, i if i is not None else 0)
            d = {'i': i, 'acked': False, 'ended': False, 'r200': None, 'src': src}
            self.uas_dialogs[key] = d
            if i is not None:
                self.uas_by_index[i] = sdp_media(m.body)
            totag = f'b{self.tag_base}{i}'
            self.respond(self.uas, m, src, 100, 'Trying')
            d['r200'] = self.respond(self.uas, m, src, 200, 'OK', [
                ('Contact', f'<sip:carrier@{self.carr[0]}:{self.carr[1]}>'),
                ('Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS'),
                ('Content-Type', 'application/sdp')], make_sdp(gb[0], gb[1], 5000 + (i or 0)), to_tag=totag)
            self.uas_last[tkey] = d['r200']
            self.at(T1, self.retrans_200, d, T1, 0.0)
            return
        if m.method == 'ACK':
            if d is not None:
                d['acked'] = True
            return
        if m.method == 'BYE':
            r = self.respond(self.uas, m, src, 200, 'OK')
            self.uas_last[tkey] = r
            if d is not None and not d['ended']:
                d['ended'] = True; self.stats['uas_byes'] += 1
            return
        i = d['i'] if d else None
        gb = self.gen_addr(self.gen_b, i if i is not None else 0)
        self.answer_misc(self.uas, m, src, self.carr, gb)

    def retrans_200(self, d, interval, elapsed):
        if d['acked'] or d['ended']:
            return
        elapsed += interval
        if elapsed >= 64 * T1:
            return
        self.stats['uas_retrans_200'] += 1
        self.send(self.uas, d['r200'], d['src'])
        nxt = min(interval * 2, T2)
        self.at(nxt, self.retrans_200, d, nxt, elapsed)

    # ------------------------------------------------------------------ phases
    def setup(self):
        a = self.a
        t0 = time.monotonic()
        deadline = t0 + a.calls / a.rate + a.setup_timeout
        while time.monotonic() < deadline and not self.stop:
            now = time.monotonic()
            due = min(a.calls, int((now - t0) * a.rate) + 1)
            pending = sum(1 for c in self.calls[-(2 * int(a.rate) + 50):] if c.state in ('inviting', 'proceeding'))
            while self.n_sent < due and pending < max(50, 2 * a.rate):
                self.start_call(self.n_sent); self.n_sent += 1; pending += 1
            if self.n_sent >= a.calls and all(c.state not in ('inviting', 'proceeding') for c in self.calls):
                # every call answered: wait for the carrier-side INVITE info of every established call
                if all(c.i in self.uas_by_index for c in self.calls if c.state == 'up'):
                    break
            self.poll(0.005)
        dt = time.monotonic() - t0
        up = [c for c in self.calls if c.state == 'up' and self.uas_by_index.get(c.i)]
        for c in up:
            c.sbc_b = self.uas_by_index[c.i]
        up = [c for c in up if c.sbc_a and (c.sbc_key or not a.srtp)]
        anchored = [c for c in up if c.sbc_a != c.gen_b and c.sbc_b != c.gen_a]
        anch = 'yes' if up and len(anchored) == len(up) else ('no' if not anchored else 'partial')
        tmp = a.streams + '.tmp'
        with open(tmp, 'w') as f:
            for c in up:
                tx = f' tx={a.srtp}:{c.key}' if a.srtp else ''
                rx = f' rx={a.srtp}:{c.sbc_key}' if a.srtp else ''
                if a.per_call_ports:
                    f.write(f'{c.gen_a[0]}:{c.gen_a[1]} {c.sbc_a[0]} {c.sbc_a[1]}{tx}\n'
                            f'{c.gen_b[0]}:{c.gen_b[1]} {c.sbc_b[0]} {c.sbc_b[1]}{rx}\n')
                else:
                    f.write(f'0 {c.sbc_a[0]} {c.sbc_a[1]}{tx}\n1 {c.sbc_b[0]} {c.sbc_b[1]}{rx}\n')
        os.replace(tmp, a.streams)
        failed = a.calls - len(up)
        sample = f'{up[0].sbc_a[0]}:{up[0].sbc_a[1]}/{up[0].sbc_b[0]}:{up[0].sbc_b[1]}' if up else '-'
        line = (f'sipcalls setup: calls={a.calls} established={len(up)} failed={failed} seconds={dt:.2f} '
                f'rate={len(up) / dt if dt > 0 else 0:.0f} anchored={anch} first_call_media={sample} '
                f'retrans_invite={self.stats["retrans_invite"]}')
        print(line, flush=True)
        if a.ready:
            with open(a.ready + '.tmp', 'w') as f:
                f.write(line + '\n')
            os.replace(a.ready + '.tmp', a.ready)
        return len(up)

    def serve(self):
        end = time.monotonic() + self.a.max_seconds
        while not self.stop and time.monotonic() < end:
            self.poll(0.1)

    def teardown(self):
        a = self.a
        t0 = time.monotonic()
        up = [c for c in self.calls if c.state == 'up']
        k = 0
        deadline = t0 + len(up) / a.bye_rate + 40
        while time.monotonic() < deadline:
            due = min(len(up), int((time.monotonic() - t0) * a.bye_rate) + 1)
            while k < due:
                self.send_bye(up[k]); k += 1
            if k >= len(up) and all(c.state != 'byeing' for c in up):
                break
            self.poll(0.005)
        # the SBC's BYEs to the carrier trail the 200s a little
        t1 = time.monotonic() + 2.0
        expect_uas = sum(1 for d in self.uas_dialogs.values() if not d['ended'])
        while time.monotonic() < t1 and expect_uas > 0:
            before = self.stats['uas_byes']
            self.poll(0.02)
            expect_uas -= self.stats['uas_byes'] - before
        done = sum(1 for c in up if c.state == 'done')
        line = (f'sipcalls teardown: calls={len(up)} bye_ok={done} bye_failed={len(up) - done} '
                f'carrier_byes={self.stats["uas_byes"]} seconds={time.monotonic() - t0:.2f} '
                + ' '.join(f'{k}={v}' for k, v in self.stats.items() if k != 'uas_byes'))
        print(line, flush=True)
        return done == len(up)


def cmd_run(a):
    r = Runner(a)

    def on_sig(signum, frame):
        if r.stop and signum == signal.SIGTERM:
            sys.exit(3)                       # second SIGTERM: give up at once
        r.stop = True
    signal.signal(signal.SIGUSR1, on_sig)
    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)
    r.setup()
    r.serve()
    r.stop = False
    ok = r.teardown()
    return 0 if ok else 1


def cmd_options(a):
    sbc = hostport(a.sbc); plat = hostport(a.platform)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(plat); s.settimeout(0.5)
    for n in range(a.tries):
        br = f'z9hG4bK-opt{os.getpid()}-{n}'
        s.sendto(build(f'OPTIONS sip:{sbc[0]}:{sbc[1]} SIP/2.0', [
            ('Via', f'SIP/2.0/UDP {plat[0]}:{plat[1]};branch={br}'), ('Max-Forwards', '70'),
            ('From', f'<sip:bench@{plat[0]}:{plat[1]}>;tag=opt{n}'), ('To', f'<sip:{sbc[0]}:{sbc[1]}>'),
            ('Call-ID', f'opt-{os.getpid()}-{n}@{plat[0]}'), ('CSeq', '1 OPTIONS')]), sbc)
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                break
            m = Msg(data)
            if not m.is_request and br in (m.get('via') or '') and m.status >= 200:
                print(f'OPTIONS -> {m.status}')
                return 0 if m.status == 200 else 1
        time.sleep(0.2)
    print('no answer to OPTIONS', file=sys.stderr)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sbc', default='127.0.51.1:5060')
    ap.add_argument('--platform', default='127.0.51.10:5060')
    sub = ap.add_subparsers(dest='op', required=True)
    r = sub.add_parser('run')
    r.add_argument('--carrier', default='127.0.51.11:5060')
    r.add_argument('--gen-a', default='127.0.51.20:20000', help='generator A (platform side) media address')
    r.add_argument('--gen-b', default='127.0.51.21:20000', help='generator B (carrier side) media address')
    r.add_argument('--per-call-ports', action='store_true', help='call i uses gen port + 2i on both sides')
    r.add_argument('--calls', type=int, required=True)
    r.add_argument('--rate', type=float, default=200.0, help='INVITEs per second')
    r.add_argument('--bye-rate', type=float, default=500.0, help='BYEs per second at teardown')
    r.add_argument('--setup-timeout', type=float, default=40.0, help='extra seconds for the last calls')
    r.add_argument('--max-seconds', type=float, default=600.0, help='tear down by itself after this long')
    r.add_argument('--streams', required=True, help='rtpgen stream file to write')
    r.add_argument('--ready', help='file written (atomically) with the setup line once the calls are up')
    r.add_argument('--srtp', choices=sorted(SRTP_KEY_BYTES), help='the platform offers SDES-SRTP with this suite')
    o = sub.add_parser('options')
    o.add_argument('--tries', type=int, default=10)
    a = ap.parse_args()
    sys.exit(cmd_run(a) if a.op == 'run' else cmd_options(a))


if __name__ == '__main__':
    main()
