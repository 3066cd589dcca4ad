#!/usr/bin/env python3
"""ngctl.py - tiny rtpengine NG-protocol client (bencode over UDP).

  ngctl.py [--ng 127.0.52.1:2223] setup N --a 127.0.52.20:20000 --b 127.0.52.21:20000 --streams FILE --calls FILE
      offer (from A) + answer (from B) for N calls, PCMU + telephone-event (the SDP sipcalls.py
      sends through the SBC).  Writes a rtpgen stream file:
      stream 2i   = A->B : "0 <ip> <rtpengine port facing A>"  (sent from rtpgen socket 0 = A)
      stream 2i+1 = B->A : "1 <ip> <rtpengine port facing B>"  (sent from rtpgen socket 1 = B)
      All calls advertise the same A / B media address (one generator socket per side), unless
      --per-call-ports: call i advertises A port + 2i and B port + 2i, and the stream file uses
      rtpgen's "SRCIP:SRCPORT DSTIP DSTPORT" form (one generator socket per call leg).
      --srtp SUITE: A offers RTP/SAVP with an a=crypto of that suite (a fresh key per call) and
      the offer carries "transport-protocol: RTP/AVP", so rtpengine bridges SRTP on A's side to
      plain RTP on B's; stream 2i gets "tx=SUITE:A's key", stream 2i+1 "rx=SUITE:rtpengine's key"
      (see rtpgen.c), as sipcalls.py --srtp does for the SBC.
  ngctl.py delete --calls FILE        delete all calls listed (call-id from-tag per line)
  ngctl.py ping | stats | list        misc

SwiftSBC bench copy of ../shared/peers/ngctl.py (bench/ keeps its own copies). Changes: SDP offers
PCMU + telephone-event, --per-call-ports, --srtp, default NG address on the bench block 127.0.52.0/24.
"""
import argparse, base64, os, random, re, socket, sys, time

SRTP_KEY_BYTES = {'AES_CM_128_HMAC_SHA1_80': 30, 'AES_CM_128_HMAC_SHA1_32': 30, 'AEAD_AES_128_GCM': 28}


def benc(x):
    if isinstance(x, int):
        return b'i%de' % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b'%d:%s' % (len(x), x)
    if isinstance(x, list):
        return b'l' + b''.join(benc(i) for i in x) + b'e'
    if isinstance(x, dict):
        return b'd' + b''.join(benc(k) + benc(v) for k, v in sorted(x.items())) + b'e'
    raise TypeError(type(x))


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b'i':
        j = b.index(b'e', i)
        return int(b[i + 1:j]), j + 1
    if c == b'l':
        i += 1; out = []
        while b[i:i + 1] != b'e':
            v, i = bdec(b, i); out.append(v)
        return out, i + 1
    if c == b'd':
        i += 1; out = {}
        while b[i:i + 1] != b'e':
            k, i = bdec(b, i); v, i = bdec(b, i); out[k.decode()] = v
        return out, i + 1
    j = b.index(b':', i); n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


class NG:
    def __init__(self, addr):
        h, p = addr.rsplit(':', 1)
        self.addr = (h, int(p))
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(2.0)
        self.n = 0

    def cmd(self, d):
        self.n += 1
        cookie = b'%d_%d' % (os.getpid(), self.n)
        for attempt in range(3):
            self.s.sendto(cookie + b' ' + benc(d), self.addr)
            try:
                while True:
                    data, _ = self.s.recvfrom(65535)
                    ck, _, body = data.partition(b' ')
                    if ck == cookie:
                        r, _ = bdec(body)
                        if r.get('result') != b'ok' and d['command'] not in ('ping',):
                            raise RuntimeError(f"{d['command']} failed: {r}")
                        return r
            except socket.timeout:
                continue
        raise RuntimeError('ng timeout')


def sdp(ip, port, sess, crypto=None):
    proto = 'RTP/SAVP' if crypto else 'RTP/AVP'
    line = f"a=crypto:1 {crypto[0]} inline:{crypto[1]}\r\n" if crypto else ''
    return (f"v=0\r\no=- {sess} 1 IN IP4 {ip}\r\ns=peerbench\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            f"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n{line}")


def crypto_key(s, suite):
    s = s.decode() if isinstance(s, bytes) else s
    m = re.search(r'^a=crypto:\d+ ' + re.escape(suite) + r' inline:([A-Za-z0-9+/=]+)', s, re.M)
    if not m:
        raise RuntimeError(f'no {suite} a=crypto in the answer:\n{s}')
    return m.group(1)


def media_port(s):
    s = s.decode() if isinstance(s, bytes) else s
    m = re.search(r'^m=audio (\d+) ', s, re.M)
    c = re.search(r'^c=IN IP4 (\S+)', s, re.M)
    return c.group(1), int(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ng', default='127.0.52.1:2223')
    sub = ap.add_subparsers(dest='op', required=True)
    s = sub.add_parser('setup'); s.add_argument('n', type=int)
    s.add_argument('--a', default='127.0.52.20:20000'); s.add_argument('--b', default='127.0.52.21:20000')
    s.add_argument('--per-call-ports', action='store_true', help='call i uses A/B port + 2i')
    s.add_argument('--streams', required=True); s.add_argument('--calls', required=True)
    s.add_argument('--srtp', choices=sorted(SRTP_KEY_BYTES), help="A's side speaks SDES-SRTP with this suite")
    d = sub.add_parser('delete'); d.add_argument('--calls', required=True)
    sub.add_parser('ping'); sub.add_parser('stats'); sub.add_parser('list')
    a = ap.parse_args()
    ng = NG(a.ng)
    if a.op == 'ping':
        print(ng.cmd({'command': 'ping'}))
    elif a.op == 'stats':
        r = ng.cmd({'command': 'statistics'})
        print(r)
    elif a.op == 'list':
        print(ng.cmd({'command': 'list', 'limit': '100000'}))
    elif a.op == 'setup':
        aip, aport = a.a.rsplit(':', 1); bip, bport = a.b.rsplit(':', 1)
        aport, bport = int(aport), int(bport)
        t0 = time.time()
        with open(a.streams, 'w') as sf, open(a.calls, 'w') as cf:
            for i in range(a.n):
                cid = f'pb-{os.getpid()}-{i}@peerbench'; ft = f'ft{i}'; tt = f'tt{i}'
                pa, pb = (aport + 2 * i, bport + 2 * i) if a.per_call_ports else (aport, bport)
                key = base64.b64encode(os.urandom(SRTP_KEY_BYTES[a.srtp])).decode() if a.srtp else None
                offer = {'command': 'offer', 'call-id': cid, 'from-tag': ft,
                         'sdp': sdp(aip, pa, 1000 + i, (a.srtp, key) if key else None),
                         'replace': ['origin', 'session-connection'], 'ICE': 'remove'}
                if a.srtp:
                    offer['transport-protocol'] = 'RTP/AVP'    # B's side plain
                r = ng.cmd(offer)
                ip_b, port_b = media_port(r['sdp'])      # where B must send (rtpengine, B-facing)
                r = ng.cmd({'command': 'answer', 'call-id': cid, 'from-tag': ft, 'to-tag': tt,
                            'sdp': sdp(bip, pb, 5000 + i), 'replace': ['origin', 'session-connection'],
                            'ICE': 'remove'})
                ip_a, port_a = media_port(r['sdp'])      # where A must send (rtpengine, A-facing)
                tx = f' tx={a.srtp}:{key}' if key else ''
                rx = f" rx={a.srtp}:{crypto_key(r['sdp'], a.srtp)}" if key else ''
                if a.per_call_ports:
                    sf.write(f'{aip}:{pa} {ip_a} {port_a}{tx}\n{bip}:{pb} {ip_b} {port_b}{rx}\n')
                else:
                    sf.write(f'0 {ip_a} {port_a}{tx}\n1 {ip_b} {port_b}{rx}\n')
                cf.write(f'{cid} {ft}\n')
        dt = time.time() - t0
        print(f'setup {a.n} calls in {dt:.2f}s ({a.n / dt:.0f} offer+answer pairs/s)')
    elif a.op == 'delete':
        n = 0; t0 = time.time()
        for line in open(a.calls):
            cid, ft = line.split()
            try:
                ng.cmd({'command': 'delete', 'call-id': cid, 'from-tag': ft}); n += 1
            except RuntimeError as e:
                print(e, file=sys.stderr)
        print(f'deleted {n} calls in {time.time() - t0:.2f}s')


if __name__ == '__main__':
    main()
