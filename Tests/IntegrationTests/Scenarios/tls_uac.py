#!/usr/bin/env python3
"""A scripted SIP-over-TLS platform for the integration tests: one TLS connection (optionally
with a client certificate), N calls in sequence over it (INVITE, ACK, BYE), a JSON summary on
stdout. Python's ssl module is the independent TLS implementation here: Debian's SIPp has no TLS.

Exit status 0 when every call completed; the JSON says what happened either way:
  {"handshake": {"version": ..., "cipher": ..., "peer_subject": ...} | {"error": ...},
   "calls": [{"invite": 200, "bye": 200} | {"invite": 503, "reason": "..."}], "completed": n}
Progress goes to stderr as JSON lines as it happens ({"event": "handshake", ...}, {"event":
"call", "index": i, ...}), so a test can act between calls; with --go-file PATH each call after
the first waits (up to --timeout) until PATH exists, and removes it.
"""
import argparse
import json
import os
import random
import socket
import ssl
import sys
import time

from sip_framing import header, parse_messages


def progress(**event):
    print(json.dumps(event), file=sys.stderr, flush=True)


def wait_for_go(path, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)
    os.remove(path)


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.pending = []

    def send(self, text):
        self.sock.sendall(text.encode())

    def next_message(self, deadline):
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no SIP message in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the SBC")
            self.buffer += chunk
            messages, self.buffer = parse_messages(self.buffer)
            self.pending.extend(messages)
        return self.pending.pop(0)


SDP = ("v=0\r\no=platform 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def request(method, args, call, cseq, to_tag=None, body=""):
    local_port = args.local_port
    lines = [
        f"{method} {call['uri']} SIP/2.0",
        f"Via: SIP/2.0/TLS {args.local_ip}:{local_port};branch=z9hG4bK{random.getrandbits(48):x};rport",
        "Max-Forwards: 70",
        f"From: <sip:platform@{args.local_ip}>;tag={call['tag']}",
        f"To: <{call['uri']}>" + (f";tag={to_tag}" if to_tag else ""),
        f"Call-ID: {call['id']}",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:platform@{args.local_ip}:{local_port};transport=tls>",
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def one_call(conn, args, index):
    call = {"uri": f"sip:{args.number}@{args.host}:{args.port};transport=tls", "tag": f"t{index}x{random.getrandbits(32):x}",
            "id": f"tls-{index}-{random.getrandbits(64):x}@{args.local_ip}"}
    deadline = time.monotonic() + args.timeout
    conn.send(request("INVITE", args, call, 1, body=SDP.format(ip=args.local_ip, port=20000 + 2 * index)))
    to_tag = None
    while True:
        head, _ = conn.next_message(deadline)
        if not head.startswith("SIP/2.0"):
            # A request from the SBC (e.g. a BYE after a failure): answer it.
            conn.send(reply(head, 200))
            continue
        if header(head, "Call-ID") != call["id"]:
            continue
        status = int(head.split(" ")[1])
        if status < 200:
            continue
        to = header(head, "To") or ""
        to_tag = to.split("tag=")[1].split(";")[0] if "tag=" in to else None
        if status >= 300:
            conn.send(request("ACK", args, call, 1, to_tag=to_tag))
            return {"invite": status, "reason": head.split("\r\n")[0][12:]}
        break
    conn.send(request("ACK", args, call, 1, to_tag=to_tag))
    time.sleep(args.hold)
    conn.send(request("BYE", args, call, 2, to_tag=to_tag))
    while True:
        head, _ = conn.next_message(deadline + args.hold)
        if head.startswith("SIP/2.0") and header(head, "Call-ID") == call["id"] and " BYE" in (header(head, "CSeq") or ""):
            return {"invite": 200, "bye": int(head.split(" ")[1])}


def reply(head, status):
    keep = [line for line in head.split("\r\n")[1:]
            if line.split(":")[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    return f"SIP/2.0 {status} OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--local-ip", required=True)
    parser.add_argument("--ca", help="verify the SBC's chain and name against this CA bundle")
    parser.add_argument("--server-name", default=None)
    parser.add_argument("--cert", help="client certificate (PEM, with --key)")
    parser.add_argument("--key")
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument("--number", default="+15551230000")
    parser.add_argument("--hold", type=float, default=0.05, help="seconds between ACK and BYE")
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--go-file", help="before each call after the first, wait for this file (and remove it)")
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if args.ca:
        context.load_verify_locations(args.ca)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    raw = socket.create_connection((args.host, args.port), timeout=args.timeout,
                                   source_address=(args.local_ip, 0))
    result = {"calls": [], "completed": 0}
    try:
        sock = context.wrap_socket(raw, server_hostname=args.server_name or args.host)
        # TLS 1.3: a server that refuses the client certificate says so only on the first read.
        sock.settimeout(0.2)
        try:
            first = sock.recv(65536)
            if first == b"":
                raise ConnectionError("connection closed by the SBC after the handshake")
            pending = first
        except (socket.timeout, ssl.SSLWantReadError):
            pending = b""
    except (ssl.SSLError, OSError) as error:
        result["handshake"] = {"error": str(error)}
        progress(event="handshake", **result["handshake"])
        print(json.dumps(result))
        return 1
    peer = sock.getpeercert() or {}
    result["handshake"] = {"version": sock.version(), "cipher": sock.cipher()[0],
                           "peer_subject": dict(item[0] for item in peer.get("subject", ()))}
    progress(event="handshake", **result["handshake"])
    args.local_port = sock.getsockname()[1]
    conn = Connection(sock)
    conn.buffer = pending
    for index in range(args.calls):
        try:
            if index > 0 and args.go_file:
                wait_for_go(args.go_file, args.timeout)
            outcome = one_call(conn, args, index)
        except (OSError, TimeoutError, ConnectionError, ssl.SSLError) as error:
            outcome = {"error": str(error)}
            result["calls"].append(outcome)
            progress(event="call", index=index, **outcome)
            break
        result["calls"].append(outcome)
        progress(event="call", index=index, **outcome)
        if outcome.get("bye") == 200:
            result["completed"] += 1
    sock.close()
    print(json.dumps(result))
    return 0 if result["completed"] == args.calls else 1


if __name__ == "__main__":
    sys.exit(main())
