#!/usr/bin/env python3
"""Renders the messages the lab's SIPp scenarios send (Tests/IntegrationTests/Scenarios/*.xml)
into seed inputs for the SIP and SDP fuzz targets: SIPp keywords get fixed lab-like values,
[len] the body length, and [last_X:] a plausible header. Re-run after adding scenarios:

    Fuzz/tools/sipp-seeds.py Tests/IntegrationTests/Scenarios Fuzz/corpus
"""
import hashlib
import pathlib
import re
import sys

VALUES = {
    "local_ip": "127.0.0.1", "local_port": "5070", "remote_ip": "127.0.0.1", "remote_port": "5060",
    "transport": "UDP", "call_number": "1", "pid": "4242", "service": "15551234567",
    "call_id": "1-4242@127.0.0.1", "branch": "z9hG4bK-4242-1-0", "routes": "",
    "next_url": "sip:127.0.0.1:5060", "local_ip_type": "4", "media_port": "6000",
    "media_ip": "127.0.0.1", "media_ip_type": "4", "peer_tag_param": ";tag=sbc-7f3a",
    "rtp_port": "6000", "rtp_ip": "127.0.0.1", "session_expires": "90", "target": "sip:bob@127.0.0.1",
    "codec_pt": "8", "codec_name": "PCMA",
}
LAST = {
    "via": "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-sbc-1;received=127.0.0.1;rport=5060",
    "from": "From: <sip:+15551234567@127.0.0.1>;tag=sbc-1",
    "to": "To: <sip:15551234567@127.0.0.1:5070>",
    "call-id": "Call-ID: sbc-call-1",
    "cseq": "CSeq: 1 INVITE",
    "record-route": "Record-Route: <sip:127.0.0.1:5060;lr>",
    "contact": "Contact: <sip:127.0.0.1:5060>",
    "rack": "RAck: 1 1 INVITE",
}


def render(text):
    text = re.sub(r"\[last_([A-Za-z-]+):?\]", lambda m: LAST.get(m.group(1).lower(), m.group(1) + ": x"), text)
    text = re.sub(r"\[([a-z_0-9]+)\]", lambda m: VALUES.get(m.group(1), m.group(0)), text)
    lines = [line.strip() for line in text.strip("\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    try:
        blank = lines.index("")
    except ValueError:
        blank = len(lines)
    head = [line for line in lines[:blank] if line]
    body_lines = [line for line in lines[blank + 1:] if line]
    body = "".join(line + "\r\n" for line in body_lines)
    head = [line.replace("[len]", str(len(body.encode()))) for line in head]
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode(), body.encode()


def main():
    scenarios, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    for target in ("FuzzSIPParser", "FuzzSIPRoundTrip", "FuzzSIPStreamFramer", "FuzzSDPParser", "FuzzSDPRewriter"):
        (corpus / target).mkdir(parents=True, exist_ok=True)
    for xml in sorted(scenarios.glob("*.xml")):
        for n, block in enumerate(re.findall(r"<send[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", xml.read_text("latin-1"), re.S)):
            message, body = render(block)
            name = f"sipp-{xml.stem}-{n}"
            for target in ("FuzzSIPParser", "FuzzSIPRoundTrip"):
                (corpus / target / name).write_bytes(message)
            # The framer's first byte picks the segment size.
            (corpus / "FuzzSIPStreamFramer" / name).write_bytes(bytes([n % 64]) + message + message)
            if body.startswith(b"v=0"):
                digest = hashlib.sha1(body).hexdigest()[:12]
                (corpus / "FuzzSDPParser" / f"sipp-{digest}").write_bytes(body)
                (corpus / "FuzzSDPRewriter" / f"sipp-{digest}").write_bytes(bytes([n % 256]) + body)


if __name__ == "__main__":
    main()
