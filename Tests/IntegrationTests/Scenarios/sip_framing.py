"""SIP message framing over a stream (TCP/TLS), shared by tls_uac.py and tls_uas.py."""


def parse_messages(buffer):
    """Cuts complete SIP messages off the front of `buffer` (Content-Length framing).
    Returns ([(head text, body bytes)], rest of the buffer)."""
    messages = []
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return messages, buffer
        head = buffer[:end].decode("utf-8", "replace")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() in ("content-length", "l"):
                length = int(value.strip())
        if len(buffer) < end + 4 + length:
            return messages, buffer
        messages.append((head, buffer[end + 4:end + 4 + length]))
        buffer = buffer[end + 4 + length:]


def header(head, name):
    """The value of the first header field `name` in a message head, or None."""
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None
