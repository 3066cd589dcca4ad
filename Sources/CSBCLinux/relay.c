// The media relay's batched receive/forward path (see CSBCRelay.h).
#define _GNU_SOURCE 1

#include "CSBCLinux.h"  // and with it CSBCRelay.h

#ifdef __linux__

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

struct csbc_relay_batch {
    int count;
    size_t slot_bytes;
    uint8_t *buffers;
    csbc_relay_packet *packets;
    struct mmsghdr *receive_headers;
    struct iovec *receive_iovecs;
    struct sockaddr_in6 *sources;
    struct mmsghdr *send_headers;
    struct iovec *send_iovecs;
    int *pending;
};

csbc_relay_batch *csbc_relay_batch_create(int count, size_t slot_bytes) {
    if (count <= 0 || slot_bytes <= CSBC_RELAY_TAIL_ROOM) { errno = EINVAL; return NULL; }
    csbc_relay_batch *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->count = count;
    b->slot_bytes = (slot_bytes + 15) & ~(size_t)15;
    if (posix_memalign((void **)&b->buffers, 64, b->slot_bytes * (size_t)count) != 0) b->buffers = NULL;
    b->packets = calloc((size_t)count, sizeof(csbc_relay_packet));
    b->receive_headers = calloc((size_t)count, sizeof(struct mmsghdr));
    b->receive_iovecs = calloc((size_t)count, sizeof(struct iovec));
    b->sources = calloc((size_t)count, sizeof(struct sockaddr_in6));
    b->send_headers = calloc((size_t)count, sizeof(struct mmsghdr));
    b->send_iovecs = calloc((size_t)count, sizeof(struct iovec));
    b->pending = calloc((size_t)count, sizeof(int));
    if (!b->buffers || !b->packets || !b->receive_headers || !b->receive_iovecs || !b->sources ||
        !b->send_headers || !b->send_iovecs || !b->pending) {
        csbc_relay_batch_destroy(b);
        errno = ENOMEM;
        return NULL;
    }
    for (int i = 0; i < count; i++) {
        uint8_t *buffer = b->buffers + (size_t)i * b->slot_bytes;
        b->packets[i].data = buffer;
        b->receive_iovecs[i].iov_base = buffer;
        // The tail stays free for SRTP's trailer (tag + MKI) when packets get protected in place;
        // a datagram that does not fit in the rest is truncated, flagged and dropped.
        b->receive_iovecs[i].iov_len = b->slot_bytes - CSBC_RELAY_TAIL_ROOM;
        struct msghdr *h = &b->receive_headers[i].msg_hdr;
        h->msg_name = &b->sources[i];
        h->msg_iov = &b->receive_iovecs[i];
        h->msg_iovlen = 1;
        b->send_headers[i].msg_hdr.msg_iov = &b->send_iovecs[i];
        b->send_headers[i].msg_hdr.msg_iovlen = 1;
    }
    return b;
}

void csbc_relay_batch_destroy(csbc_relay_batch *b) {
    if (!b) return;
    free(b->buffers);
    free(b->packets);
    free(b->receive_headers);
    free(b->receive_iovecs);
    free(b->sources);
    free(b->send_headers);
    free(b->send_iovecs);
    free(b->pending);
    free(b);
}

csbc_relay_packet *csbc_relay_batch_packets(csbc_relay_batch *b) { return b->packets; }

int csbc_relay_batch_count(const csbc_relay_batch *b) { return b->count; }

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap64(v);
}

int csbc_relay_recv(int fd, csbc_relay_batch *b) {
    const int count = b->count;
    for (int i = 0; i < count; i++) {
        // The kernel overwrites msg_namelen and msg_flags; everything else is set once.
        b->receive_headers[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
    }
    int n;
    do {
        n = recvmmsg(fd, b->receive_headers, (unsigned int)count, MSG_DONTWAIT, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        csbc_relay_packet *p = &b->packets[i];
        const struct msghdr *h = &b->receive_headers[i].msg_hdr;
        p->length = b->receive_headers[i].msg_len;
        p->truncated = (h->msg_flags & MSG_TRUNC) != 0;
        p->destination = NULL;
        const struct sockaddr_in6 *source = &b->sources[i];
        if (source->sin6_family == AF_INET) {
            const struct sockaddr_in *v4 = (const struct sockaddr_in *)source;
            p->source_high = 0;
            p->source_low = 0xFFFF00000000ull | (uint64_t)ntohl(v4->sin_addr.s_addr);
            p->source_port = ntohs(v4->sin_port);
        } else if (source->sin6_family == AF_INET6) {
            p->source_high = load_be64(source->sin6_addr.s6_addr);
            p->source_low = load_be64(source->sin6_addr.s6_addr + 8);
            p->source_port = ntohs(source->sin6_port);
        } else {
            p->source_high = 0;
            p->source_low = 0;
            p->source_port = 0;
        }
    }
    return n;
}

/// Sends headers [0, m) from fd; returns how many went out and adds their bytes.
static int send_run(int fd, struct mmsghdr *headers, int m, uint64_t *bytes_sent) {
    int sent = 0;
    int offset = 0;
    int retried = -1;
    while (offset < m) {
        int r = sendmmsg(fd, headers + offset, (unsigned int)(m - offset), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
            // With IP_RECVERR an ICMP error for an earlier datagram (perhaps to a party this
            // socket no longer sends to) fails the next send once and is cleared by it: this
            // datagram was never tried, so it gets one more go. The error itself stays on the
            // error queue for the worker.
            if (csbc_is_unreachable_errno(errno) && retried != offset) {
                retried = offset;
                continue;
            }
            offset++;  // this datagram was refused (e.g. EINVAL, EPERM, no route); go on with the rest
            continue;
        }
        for (int k = offset; k < offset + r; k++) *bytes_sent += headers[k].msg_len;
        sent += r;
        offset += r;
    }
    return sent;
}

int csbc_relay_send(csbc_relay_batch *b, int count, uint64_t *bytes_sent) {
    if (count > b->count) count = b->count;
    int pending = 0;
    for (int i = 0; i < count; i++) {
        if (b->packets[i].destination != NULL) b->pending[pending++] = i;
    }
    int sent = 0;
    while (pending > 0) {
        // Group by source socket: usually every packet of a batch leaves through one socket
        // (RTP), at most two (muxed RTCP towards a non-muxed side).
        const int fd = b->packets[b->pending[0]].destination->fd;
        int m = 0;
        int rest = 0;
        for (int j = 0; j < pending; j++) {
            const int i = b->pending[j];
            const csbc_relay_packet *p = &b->packets[i];
            if (p->destination->fd != fd) {
                b->pending[rest++] = i;
                continue;
            }
            struct msghdr *h = &b->send_headers[m].msg_hdr;
            b->send_iovecs[m].iov_base = p->data;
            b->send_iovecs[m].iov_len = p->length;
            h->msg_iov = &b->send_iovecs[m];
            h->msg_name = (void *)&p->destination->address;
            h->msg_namelen = p->destination->address_length;
            m++;
        }
        pending = rest;
        sent += send_run(fd, b->send_headers, m, bytes_sent);
    }
    return sent;
}

int csbc_relay_destination_set(csbc_relay_destination *d, int fd, int family,
                               uint64_t high, uint64_t low, uint16_t port) {
    memset(d, 0, sizeof(*d));
    d->fd = -1;
    const int mapped = high == 0 && (low >> 32) == 0xFFFF;
    if (family == AF_INET) {
        if (!mapped) return -1;
        d->address.v4.sin_family = AF_INET;
        d->address.v4.sin_port = htons(port);
        d->address.v4.sin_addr.s_addr = htonl((uint32_t)low);
        d->address_length = sizeof(struct sockaddr_in);
    } else if (family == AF_INET6) {
        d->address.v6.sin6_family = AF_INET6;
        d->address.v6.sin6_port = htons(port);
        uint64_t h = __builtin_bswap64(high), l = __builtin_bswap64(low);
        memcpy(d->address.v6.sin6_addr.s6_addr, &h, 8);
        memcpy(d->address.v6.sin6_addr.s6_addr + 8, &l, 8);
        d->address_length = sizeof(struct sockaddr_in6);
    } else {
        return -1;
    }
    d->fd = fd;
    return 0;
}

void csbc_relay_destination_clear(csbc_relay_destination *d) {
    memset(d, 0, sizeof(*d));
    d->fd = -1;
}

int csbc_relay_destination_matches(const csbc_relay_destination *d,
                                   const struct sockaddr_storage *address, socklen_t length) {
    if (d->address_length == 0 || address->ss_family != d->address.v4.sin_family) return 0;
    if (d->address.v4.sin_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)address;
        return length >= sizeof(*a) && a->sin_port == d->address.v4.sin_port &&
               a->sin_addr.s_addr == d->address.v4.sin_addr.s_addr;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)address;
    return length >= sizeof(*a) && a->sin6_port == d->address.v6.sin6_port &&
           memcmp(&a->sin6_addr, &d->address.v6.sin6_addr, sizeof(a->sin6_addr)) == 0;
}

ssize_t csbc_relay_send_one(const csbc_relay_destination *d, const void *data, size_t length) {
    if (d->address_length == 0 || d->fd < 0) { errno = EDESTADDRREQ; return -1; }
    int retried = 0;
    for (;;) {
        ssize_t n = sendto(d->fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL,
                           (const struct sockaddr *)&d->address, d->address_length);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        // As in send_run: an ICMP error for an earlier datagram fails one send and is cleared by it.
        if (csbc_is_unreachable_errno(errno) && !retried) { retried = 1; continue; }
        return -1;
    }
}

int csbc_relay_open_udp(const struct sockaddr *address, socklen_t length, int buffer_bytes) {
    int fd = socket(address->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (buffer_bytes > 0) {
        // Best effort: the kernel caps these at net.core.{r,w}mem_max.
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof(buffer_bytes));
    }
    if (bind(fd, address, length) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

#endif // __linux__
