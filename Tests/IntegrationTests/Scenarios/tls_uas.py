#!/usr/bin/env python3
"""A scripted SIP-over-TLS carrier for the integration tests: listens on --ip:--port with a
certificate (valid, self-signed or expired: whatever the test hands it), optionally requires a
client certificate, answers OPTIONS 200, INVITE 100+200 (SDP echoed back with its own address),
BYE 200, ignores ACK. Every handshake and request goes to stdout as one JSON line, so a test can
see what the SBC presented (client certificate subject) and sent (Request-URI, Via, Contact).
Runs until killed (SIGTERM).
"""
import argparse
import json
import select
import socket
import ssl
import sys

from sip_framing import parse_messages


def log(**event):
    print(json.dumps(event), flush=True)


def response(head, status, reason, args, body=""):
    lines = [f"SIP/2.0 {status} {reason}"]
    for line in head.split("\r\n")[1:]:
        name = line.split(":")[0].strip().lower()
        if name in ("via", "from", "call-id", "cseq"):
            lines.append(line)
        elif name == "to":
            lines.append(line if "tag=" in line or status == 100 else line + ";tag=carrier" + str(abs(hash(head)) % 99999))
    lines.append(f"Contact: <sip:carrier@{args.ip}:{args.port};transport=tls>")
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def answer_sdp(offer, args):
    port = 30000
    for line in offer.split("\r\n"):
        if line.startswith("m=audio"):
            port = int(line.split()[1])
    return (f"v=0\r\no=carrier 1 1 IN IP4 {args.ip}\r\ns=-\r\nc=IN IP4 {args.ip}\r\nt=0 0\r\n"
            f"m=audio {port + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", help="CA for client certificates")
    parser.add_argument("--require-client-cert", action="store_true")
    parser.add_argument("--invite-status", type=int, default=200)
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    if args.ca:
        context.load_verify_locations(args.ca)
        context.verify_mode = ssl.CERT_REQUIRED if args.require_client_cert else ssl.CERT_OPTIONAL
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.ip, args.port))
    listener.listen(64)
    log(event="listening", ip=args.ip, port=args.port)
    connections = {}
    while True:
        ready, _, _ = select.select([listener] + list(connections), [], [], 1.0)
        for sock in ready:
            if sock is listener:
                raw, peer = listener.accept()
                raw.settimeout(5)  # a handshake that stalls must not stall the other connections for long
                try:
                    tls = context.wrap_socket(raw, server_side=True)
                    tls.settimeout(None)
                except (ssl.SSLError, OSError) as error:
                    log(event="handshake_failed", peer=f"{peer[0]}:{peer[1]}", error=str(error))
                    raw.close()
                    continue
                cert = tls.getpeercert() or {}
                subject = dict(item[0] for item in cert.get("subject", ()))
                log(event="handshake", peer=f"{peer[0]}:{peer[1]}", version=tls.version(),
                    client_subject=subject.get("commonName"))
                connections[tls] = b""
                continue
            try:
                chunk = sock.recv(65536)
            except (ssl.SSLError, OSError):
                chunk = b""
            if not chunk:
                connections.pop(sock, None)
                sock.close()
                continue
            messages, connections[sock] = parse_messages(connections[sock] + chunk)
            for head, raw_body in messages:
                body = raw_body.decode("utf-8", "replace")
                if head.startswith("SIP/2.0"):
                    continue
                method, uri = head.split(" ")[0], head.split(" ")[1]
                via = next((l for l in head.split("\r\n") if l.lower().startswith("via")), "")
                contact = next((l for l in head.split("\r\n") if l.lower().startswith(("contact", "m:"))), "")
                log(event="request", method=method, uri=uri, via=via, contact=contact)
                if method == "OPTIONS" or method == "BYE":
                    sock.sendall(response(head, 200, "OK", args))
                elif method == "INVITE":
                    sock.sendall(response(head, 100, "Trying", args))
                    if args.invite_status == 200:
                        sock.sendall(response(head, 200, "OK", args, answer_sdp(body, args)))
                    else:
                        sock.sendall(response(head, args.invite_status, "Failure", args))
                elif method != "ACK":
                    sock.sendall(response(head, 200, "OK", args))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
