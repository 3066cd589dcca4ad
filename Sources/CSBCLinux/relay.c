// The media relay's batched receive/forward path (see CSBCRelay.h).
#define _GNU_SOURCE 1

#include "CSBCLinux.h"  // and with it CSBCRelay.h

#ifdef __linux__

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <sys/socket.h>
#include <sys/syscall.h>

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
    int *group;                  // send header k carries packet group[k]
    uint8_t *controls;           // CSBC_RELAY_CONTROL_BYTES per slot, for IP_ORIGDSTADDR
    int controls_set;            // receive headers point at `controls` (last receive was a lookup one)
};

#define CSBC_RELAY_CONTROL_BYTES 64

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
    b->group = calloc((size_t)count, sizeof(int));
    b->controls = calloc((size_t)count, CSBC_RELAY_CONTROL_BYTES);
    if (!b->buffers || !b->packets || !b->receive_headers || !b->receive_iovecs || !b->sources ||
        !b->send_headers || !b->send_iovecs || !b->pending || !b->group || !b->controls) {
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
    free(b->group);
    free(b->controls);
    free(b);
}

csbc_relay_packet *csbc_relay_batch_packets(csbc_relay_batch *b) { return b->packets; }

int csbc_relay_batch_count(const csbc_relay_batch *b) { return b->count; }

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap64(v);
}

static int receive_batch(int fd, csbc_relay_batch *b, int lookup) {
    const int count = b->count;
    if (lookup) {
        for (int i = 0; i < count; i++) {
            struct msghdr *h = &b->receive_headers[i].msg_hdr;
            h->msg_namelen = sizeof(struct sockaddr_in6);
            h->msg_control = b->controls + (size_t)i * CSBC_RELAY_CONTROL_BYTES;
            h->msg_controllen = CSBC_RELAY_CONTROL_BYTES;
        }
        b->controls_set = 1;
    } else {
        // The kernel overwrites msg_namelen and msg_flags; everything else is set once.
        const int clear = b->controls_set;
        for (int i = 0; i < count; i++) {
            struct msghdr *h = &b->receive_headers[i].msg_hdr;
            h->msg_namelen = sizeof(struct sockaddr_in6);
            if (clear) { h->msg_control = NULL; h->msg_controllen = 0; }
        }
        b->controls_set = 0;
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
        p->destination_port = 0;
        if (lookup) {
            for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
                if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR &&
                    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
                    struct sockaddr_in original;
                    memcpy(&original, CMSG_DATA(c), sizeof(original));
                    p->destination_port = ntohs(original.sin_port);
                }
            }
        }
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

int csbc_relay_recv(int fd, csbc_relay_batch *b) { return receive_batch(fd, b, 0); }

int csbc_relay_recv_lookup(int fd, csbc_relay_batch *b) { return receive_batch(fd, b, 1); }

/// Sends headers [0, m) from fd; returns how many went out, adds their bytes and marks their
/// packets (group[k] is header k's) sent.
static int send_run(int fd, struct mmsghdr *headers, int m, uint64_t *bytes_sent,
                    const int *group, csbc_relay_packet *packets) {
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
        for (int k = offset; k < offset + r; k++) {
            *bytes_sent += headers[k].msg_len;
            packets[group[k]].sent = 1;
        }
        sent += r;
        offset += r;
    }
    return sent;
}

int csbc_relay_send(csbc_relay_batch *b, int count, uint64_t *bytes_sent) {
    if (count > b->count) count = b->count;
    int pending = 0;
    for (int i = 0; i < count; i++) {
        b->packets[i].sent = 0;
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
            b->group[m] = i;
            m++;
        }
        pending = rest;
        sent += send_run(fd, b->send_headers, m, bytes_sent, b->group, b->packets);
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

// ---- sk_lookup steering ----

static long lookup_bpf(int cmd, union bpf_attr *attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int lookup_map_create(uint32_t type, uint32_t value_size, uint32_t entries) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = type;
    a.key_size = 4;
    a.value_size = value_size;
    a.max_entries = entries;
    return (int)lookup_bpf(BPF_MAP_CREATE, &a);
}

static int lookup_map_update(int map, uint32_t key, const void *value) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)map;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)value;
    a.flags = BPF_ANY;
    return (int)lookup_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

int csbc_lookup_port_set(int port_map, uint32_t index, uint32_t worker) {
    return lookup_map_update(port_map, index, &worker);
}

int csbc_lookup_sockmap_set(int sock_map, uint32_t worker, int fd) {
    uint64_t value = (uint64_t)(uint32_t)fd;
    return lookup_map_update(sock_map, worker, &value);
}

int csbc_lookup_maps_create(uint32_t ports, uint32_t workers, int *port_map, int *sock_map) {
    if (ports == 0 || workers == 0) { errno = EINVAL; return -1; }
    int ports_fd = lookup_map_create(BPF_MAP_TYPE_ARRAY, 4, ports);
    if (ports_fd < 0) return -1;
    for (uint32_t i = 0; i < ports; i++) {
        if (csbc_lookup_port_set(ports_fd, i, CSBC_LOOKUP_NO_WORKER) != 0) {
            int saved = errno;
            close(ports_fd);
            errno = saved;
            return -1;
        }
    }
    int socks_fd = lookup_map_create(BPF_MAP_TYPE_SOCKMAP, 8, workers);
    if (socks_fd < 0) {
        int saved = errno;
        close(ports_fd);
        errno = saved;
        return -1;
    }
    *port_map = ports_fd;
    *sock_map = socks_fd;
    return 0;
}

int csbc_lookup_socket_open(uint32_t address_be, int buffer_bytes, uint16_t avoid_min, uint16_t avoid_max) {
    // An ephemeral port that lands in the relay's range would take a call's port away: keep
    // such sockets open while asking again (so the kernel hands out another), then close them.
    enum { TRIES = 32 };
    int rejected[TRIES];
    int rejected_count = 0;
    int result = -1;
    int saved = 0;
    for (int attempt = 0; attempt < TRIES; attempt++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) { saved = errno; break; }
        const int one = 1;
        if (buffer_bytes > 0 &&
            setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof(buffer_bytes)) != 0) {
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
        }
        struct sockaddr_in local;
        memset(&local, 0, sizeof(local));
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = address_be;
        socklen_t length = sizeof(local);
        // IP_RECVERR: the kernel's error lookup is steered too, so ICMP errors for what the
        // port sockets send arrive here (RelayWorker.takeLookupErrors).
        if (setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof(one)) != 0 ||
            setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one)) != 0 ||
            bind(fd, (const struct sockaddr *)&local, sizeof(local)) != 0 ||
            getsockname(fd, (struct sockaddr *)&local, &length) != 0) {
            saved = errno;
            close(fd);
            break;
        }
        const uint16_t port = ntohs(local.sin_port);
        if (port >= avoid_min && port <= avoid_max) {
            rejected[rejected_count++] = fd;
            saved = EADDRINUSE;
            continue;
        }
        result = fd;
        break;
    }
    for (int i = 0; i < rejected_count; i++) close(rejected[i]);
    if (result < 0) errno = saved ? saved : EADDRINUSE;
    return result;
}

// Instruction builders (the kernel's filter.h macros are not UAPI).
#define LK_INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LK_MOV64_REG(d, s) LK_INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define LK_MOV64_IMM(d, i) LK_INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define LK_ADD64_IMM(d, i) LK_INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LK_SUB32_IMM(d, i) LK_INSN(BPF_ALU | BPF_SUB | BPF_K, d, 0, 0, i)
#define LK_LDX_W(d, s, o) LK_INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define LK_STX_W(d, s, o) LK_INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define LK_JMP32_IMM(op, d, i, o) LK_INSN(BPF_JMP32 | (op) | BPF_K, d, 0, o, i)
#define LK_JMP_IMM(op, d, i, o) LK_INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define LK_JA(o) LK_INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define LK_CALL(f) LK_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define LK_EXIT() LK_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define LK_MAX_ADDRESSES 16
#define LK_MAX_INSNS (40 + LK_MAX_ADDRESSES)
// Jump targets, fixed up once the program is laid out.
#define LK_TO_OUT 0x7ff0
#define LK_TO_PORT 0x7ff1

int csbc_lookup_attach(int port_map, int sock_map, const uint32_t *addresses_be, int address_count,
                       uint16_t port_min, uint16_t port_max, int *prog_fd, char *log, size_t log_size) {
    if (address_count < 0 || address_count > LK_MAX_ADDRESSES || port_min > port_max) { errno = EINVAL; return -1; }
    enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
    struct bpf_insn p[LK_MAX_INSNS];
    int n = 0;
    // r6 = ctx. Not UDP over IPv4: out.
    p[n++] = LK_MOV64_REG(R6, R1);
    p[n++] = LK_LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, protocol));
    p[n++] = LK_JMP32_IMM(BPF_JNE, R2, IPPROTO_UDP, LK_TO_OUT);
    p[n++] = LK_LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, family));
    p[n++] = LK_JMP32_IMM(BPF_JNE, R2, AF_INET, LK_TO_OUT);
    if (address_count > 0) {
        // local_ip4 (network order) must be one of ours.
        p[n++] = LK_LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, local_ip4));
        for (int i = 0; i < address_count; i++) {
            p[n++] = LK_JMP32_IMM(BPF_JEQ, R2, (int32_t)addresses_be[i], LK_TO_PORT);
        }
        p[n++] = LK_JA(LK_TO_OUT);
    }
    const int port_check = n;
    // local_port (host order) in range; the port map's index is port - port_min.
    p[n++] = LK_LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, local_port));
    p[n++] = LK_JMP32_IMM(BPF_JLT, R2, (int32_t)port_min, LK_TO_OUT);
    p[n++] = LK_JMP32_IMM(BPF_JGT, R2, (int32_t)port_max, LK_TO_OUT);
    p[n++] = LK_SUB32_IMM(R2, (int32_t)port_min);
    p[n++] = LK_STX_W(R10, R2, -4);
    // worker = port_map[index]; none: out.
    p[n++] = LK_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, port_map);
    p[n++] = LK_INSN(0, 0, 0, 0, 0);
    p[n++] = LK_MOV64_REG(R2, R10);
    p[n++] = LK_ADD64_IMM(R2, -4);
    p[n++] = LK_CALL(BPF_FUNC_map_lookup_elem);
    p[n++] = LK_JMP_IMM(BPF_JEQ, R0, 0, LK_TO_OUT);
    p[n++] = LK_LDX_W(R2, R0, 0);
    p[n++] = LK_JMP32_IMM(BPF_JEQ, R2, (int32_t)CSBC_LOOKUP_NO_WORKER, LK_TO_OUT);
    p[n++] = LK_STX_W(R10, R2, -8);
    // sk = sock_map[worker]; none: out. Otherwise assign it and drop the reference.
    p[n++] = LK_INSN(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, sock_map);
    p[n++] = LK_INSN(0, 0, 0, 0, 0);
    p[n++] = LK_MOV64_REG(R2, R10);
    p[n++] = LK_ADD64_IMM(R2, -8);
    p[n++] = LK_CALL(BPF_FUNC_map_lookup_elem);
    p[n++] = LK_JMP_IMM(BPF_JEQ, R0, 0, LK_TO_OUT);
    p[n++] = LK_MOV64_REG(R7, R0);
    p[n++] = LK_MOV64_REG(R1, R6);
    p[n++] = LK_MOV64_REG(R2, R7);
    p[n++] = LK_MOV64_IMM(R3, 0);
    p[n++] = LK_CALL(BPF_FUNC_sk_assign);
    p[n++] = LK_MOV64_REG(R1, R7);
    p[n++] = LK_CALL(BPF_FUNC_sk_release);
    // out: SK_PASS (with a socket assigned the packet goes there; without, normal lookup).
    const int out = n;
    p[n++] = LK_MOV64_IMM(R0, 1);
    p[n++] = LK_EXIT();
    for (int k = 0; k < n; k++) {
        const uint8_t cls = BPF_CLASS(p[k].code);
        if ((cls != BPF_JMP && cls != BPF_JMP32) || BPF_OP(p[k].code) == BPF_CALL || BPF_OP(p[k].code) == BPF_EXIT) continue;
        if (p[k].off == LK_TO_OUT) p[k].off = (int16_t)(out - k - 1);
        else if (p[k].off == LK_TO_PORT) p[k].off = (int16_t)(port_check - k - 1);
    }
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_SK_LOOKUP;
    a.expected_attach_type = BPF_SK_LOOKUP;
    a.insns = (uint64_t)(uintptr_t)p;
    a.insn_cnt = (uint32_t)n;
    a.license = (uint64_t)(uintptr_t)"Dual BSD/GPL";
    if (log != NULL && log_size > 1) {
        log[0] = 0;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = (uint32_t)log_size;
        a.log_level = 1;
    }
    int program = (int)lookup_bpf(BPF_PROG_LOAD, &a);
    if (program < 0 && log != NULL && errno == ENOSPC) {
        // Retry without the log: a too-small log buffer (ENOSPC) must not fail the load.
        a.log_buf = 0; a.log_size = 0; a.log_level = 0;
        program = (int)lookup_bpf(BPF_PROG_LOAD, &a);
    }
    if (program < 0) return -1;
    int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
        int saved = errno;
        close(program);
        errno = saved;
        return -1;
    }
    memset(&a, 0, sizeof(a));
    a.link_create.prog_fd = (uint32_t)program;
    a.link_create.target_fd = (uint32_t)ns;
    a.link_create.attach_type = BPF_SK_LOOKUP;
    int link = (int)lookup_bpf(BPF_LINK_CREATE, &a);
    int saved = errno;
    close(ns);
    if (link < 0) {
        close(program);
        errno = saved;
        return -1;
    }
    *prog_fd = program;
    return link;
}

#endif // __linux__
