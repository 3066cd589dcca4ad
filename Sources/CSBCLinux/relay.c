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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#if defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#define CSBC_HAVE_IO_URING 1
#endif
#endif

/// The send ring of a batch (csbc_relay_batch_enable_uring): the kernel's SQ/CQ rings and SQE
/// array, mapped into this process, and where their indices live.
struct csbc_relay_ring {
    int fd;
    unsigned sq_entries;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    void *cqes;                  // struct io_uring_cqe[cq_entries]
    void *sqes;                  // struct io_uring_sqe[sq_entries]
    void *sq_map, *cq_map;       // cq_map == sq_map with IORING_FEAT_SINGLE_MMAP
    size_t sq_map_size, cq_map_size, sqes_size;
};

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
    struct csbc_relay_ring *ring;  // NULL: sendmmsg
    struct csbc_relay_ring *dead_ring;  // a ring that failed at run time, kept until destroy
};

static void ring_destroy(struct csbc_relay_ring *r);

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
    ring_destroy(b->ring);
    ring_destroy(b->dead_ring);
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

static int send_ring(csbc_relay_batch *b, int pending, uint64_t *bytes_sent);
static int send_grouped(csbc_relay_batch *b, int pending, uint64_t *bytes_sent);

int csbc_relay_send(csbc_relay_batch *b, int count, uint64_t *bytes_sent) {
    if (count > b->count) count = b->count;
    int pending = 0;
    for (int i = 0; i < count; i++) {
        b->packets[i].sent = 0;
        if (b->packets[i].destination != NULL) b->pending[pending++] = i;
    }
    if (b->ring != NULL && pending > 0) return send_ring(b, pending, bytes_sent);
    return send_grouped(b, pending, bytes_sent);
}

/// Sends packets pending[0..<pending]: one sendmmsg (send_run) per distinct source socket.
static int send_grouped(csbc_relay_batch *b, int pending, uint64_t *bytes_sent) {
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

// ---- io_uring sends (csbc_relay_batch_enable_uring) ----
//
// Raw syscalls rather than liburing: the SBC links nothing beyond libsrtp2, OpenSSL and SQLite,
// and the relay needs a small part of it (set up, prepare SENDMSG, enter, reap). The ring is
// only ever used synchronously: csbc_relay_send fills at most sq_entries SQEs, submits them and
// waits for all their completions in one io_uring_enter (UDP sends complete inline, so the wait
// costs nothing), then reaps every CQE before the next chunk. So the SQ is empty and the CQ holds
// nothing between calls, the CQ (twice the SQ by default) cannot overflow, and the receive
// buffers and msghdrs are no longer referenced by the kernel when the call returns.

#ifdef CSBC_HAVE_IO_URING

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

static void ring_destroy(struct csbc_relay_ring *r) {
    if (!r) return;
    if (r->sqes) munmap(r->sqes, r->sqes_size);
    if (r->cq_map && r->cq_map != r->sq_map) munmap(r->cq_map, r->cq_map_size);
    if (r->sq_map) munmap(r->sq_map, r->sq_map_size);
    if (r->fd >= 0) close(r->fd);
    free(r);
}

/// io_uring_setup with `flags`; -1 with errno.
static int ring_setup(unsigned entries, unsigned flags, struct io_uring_params *p) {
    memset(p, 0, sizeof(*p));
    p->flags = flags;
    return (int)syscall(__NR_io_uring_setup, entries, p);
}

/// 1 when the kernel says IORING_OP_SENDMSG is supported (IORING_REGISTER_PROBE, Linux 5.6+).
static int ring_supports_sendmsg(int fd) {
    const size_t size = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
    struct io_uring_probe *probe = calloc(1, size);
    if (!probe) return 0;
    int ok = 0;
    if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, probe, 256) == 0) {
        ok = probe->last_op >= IORING_OP_SENDMSG &&
             (probe->ops[IORING_OP_SENDMSG].flags & IO_URING_OP_SUPPORTED) != 0;
    }
    free(probe);
    return ok;
}

int csbc_relay_batch_enable_uring(csbc_relay_batch *b, unsigned entries) {
    if (b->ring != NULL) { errno = EEXIST; return -1; }
    if (entries == 0) { errno = EINVAL; return -1; }
    struct io_uring_params p;
    // SUBMIT_ALL (5.18): a request that fails at submission (bad fd) completes with its error
    // and the rest of the chunk is still submitted. COOP_TASKRUN (5.19): no IPI to run task
    // work. Both are only refinements (send_ring copes with partial submission), so an older
    // kernel's EINVAL retries without them. SINGLE_ISSUER/DEFER_TASKRUN are not used: the ring
    // is created on the thread that builds the worker and used by the worker's thread, and UDP
    // sends complete inline, with no task work to defer.
    int fd = ring_setup(entries, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN, &p);
    if (fd < 0 && errno == EINVAL) fd = ring_setup(entries, 0, &p);
    if (fd < 0) return -1;   // ENOSYS, EPERM (io_uring_disabled, seccomp), ENOMEM, ...
    struct csbc_relay_ring *r = calloc(1, sizeof(*r));
    if (!r) { close(fd); errno = ENOMEM; return -1; }
    r->fd = fd;
    r->sq_entries = p.sq_entries;
    int saved = 0;
    if (!ring_supports_sendmsg(fd)) { saved = EOPNOTSUPP; goto fail; }
    r->sq_map_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r->cq_map_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    const int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) {
        if (r->cq_map_size > r->sq_map_size) r->sq_map_size = r->cq_map_size;
        r->cq_map_size = r->sq_map_size;
    }
    r->sq_map = mmap(NULL, r->sq_map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (r->sq_map == MAP_FAILED) { r->sq_map = NULL; saved = errno; goto fail; }
    if (single) {
        r->cq_map = r->sq_map;
    } else {
        r->cq_map = mmap(NULL, r->cq_map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (r->cq_map == MAP_FAILED) { r->cq_map = NULL; saved = errno; goto fail; }
    }
    r->sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
    r->sqes = mmap(NULL, r->sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (r->sqes == MAP_FAILED) { r->sqes = NULL; saved = errno; goto fail; }
    uint8_t *sq = r->sq_map, *cq = r->cq_map;
    r->sq_head = (unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = cq + p.cq_off.cqes;
    // SQ slot i always names SQE i: SQEs are filled at tail & mask, so the indirection is fixed.
    for (unsigned i = 0; i < p.sq_entries; i++) r->sq_array[i] = i;
    b->ring = r;
    return 0;
fail:
    ring_destroy(r);
    errno = saved;
    return -1;
}

unsigned csbc_relay_batch_uring_entries(const csbc_relay_batch *b) {
    return b->ring ? b->ring->sq_entries : 0;
}

/// After a CQE's error for packet `p`: what send_run does for the same errno. An ICMP error left
/// pending by an earlier datagram fails one send and is cleared by it, so that packet gets
/// another go (a plain sendto; the ICMP error itself stays on the error queue for the worker).
/// Unlike send_run's retry, this one comes after the rest of the chunk was sent, so an ICMP error
/// for a later datagram of the chunk (a dead party on the same socket) may fail it once more:
/// up to three tries, each failure consuming one pending error (a destination the kernel keeps
/// refusing, such as no route, costs three sendto and is dropped).
/// Returns bytes sent, or -1 (dropped: full buffer, or refused).
static ssize_t ring_retry(csbc_relay_packet *p, int error) {
    if (!csbc_is_unreachable_errno(error) && error != EINTR) return -1;
    const csbc_relay_destination *d = p->destination;
    for (int tries = 0; tries < 3; tries++) {
        ssize_t n = sendto(d->fd, p->data, p->length, MSG_DONTWAIT | MSG_NOSIGNAL,
                           (const struct sockaddr *)&d->address, d->address_length);
        if (n >= 0) return n;
        if (errno != EINTR && !csbc_is_unreachable_errno(errno)) return -1;
    }
    return -1;
}

/// Sends packets pending[0..<pending] through the ring, sq_entries at a time.
static int send_ring(csbc_relay_batch *b, int pending, uint64_t *bytes_sent) {
    struct csbc_relay_ring *r = b->ring;
    struct io_uring_sqe *sqes = r->sqes;
    struct io_uring_cqe *cqes = r->cqes;
    const unsigned sq_mask = *r->sq_mask, cq_mask = *r->cq_mask;
    int sent = 0;
    int done = 0;   // pending entries whose fate is known
    while (done < pending) {
        const unsigned chunk = (unsigned)(pending - done) < r->sq_entries ? (unsigned)(pending - done) : r->sq_entries;
        // Only this thread moves the tail. The SQ is empty here: the previous chunk's entries
        // were all consumed (every one of them completed), so the SQE slots are free to refill
        // without reading the kernel's head.
        unsigned tail = *r->sq_tail;
        for (unsigned k = 0; k < chunk; k++) {
            const int j = done + (int)k;
            const int i = b->pending[j];
            const csbc_relay_packet *p = &b->packets[i];
            struct msghdr *h = &b->send_headers[j].msg_hdr;
            b->send_iovecs[j].iov_base = p->data;
            b->send_iovecs[j].iov_len = p->length;
            h->msg_iov = &b->send_iovecs[j];
            h->msg_name = (void *)&p->destination->address;
            h->msg_namelen = p->destination->address_length;
            struct io_uring_sqe *sqe = &sqes[(tail + k) & sq_mask];
            memset(sqe, 0, sizeof(*sqe));
            sqe->opcode = IORING_OP_SENDMSG;
            sqe->fd = p->destination->fd;
            sqe->addr = (uint64_t)(uintptr_t)h;
            sqe->len = 1;
            // MSG_DONTWAIT: a full socket buffer completes with -EAGAIN (REQ_F_NOWAIT) instead of
            // arming poll and completing later, which the wait below would block on.
            sqe->msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
            sqe->user_data = (uint64_t)(uint32_t)j;
        }
        // Release: the kernel must see the SQEs before the tail that publishes them.
        __atomic_store_n(r->sq_tail, tail + chunk, __ATOMIC_RELEASE);
        unsigned submitted = 0, reaped = 0;
        int stalls = 0;
        while (reaped < chunk) {
            const unsigned to_submit = chunk - submitted;
            // The kernel waits only when everything asked was submitted: min_complete is what is
            // still outstanding once it is.
            long n = syscall(__NR_io_uring_enter, r->fd, to_submit, chunk - reaped, IORING_ENTER_GETEVENTS, NULL, 0);
            if (n < 0) {
                const int error = errno;
                if (error == EINTR) continue;
                if (error != EAGAIN && error != EBUSY) goto broken;
                // Short of kernel resources: take what completed, then try again (bounded).
            } else {
                submitted += (unsigned)n;
            }
            // Acquire: the CQEs up to the tail are written before the tail is.
            unsigned head = *r->cq_head;
            const unsigned cq_tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
            const unsigned before = reaped;
            while (head != cq_tail) {
                const struct io_uring_cqe *cqe = &cqes[head & cq_mask];
                const int j = (int)(uint32_t)cqe->user_data;
                const int res = cqe->res;
                head++;
                if (j < done || j >= done + (int)chunk) continue;   // not ours (cannot happen)
                reaped++;
                csbc_relay_packet *p = &b->packets[b->pending[j]];
                ssize_t bytes = res >= 0 ? res : ring_retry(p, -res);
                if (bytes >= 0) {
                    *bytes_sent += (uint64_t)bytes;
                    p->sent = 1;
                    sent++;
                }
            }
            // Release: the kernel may reuse the CQ slots once it sees the new head.
            __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
            if (reaped == before && (n <= 0)) {
                if (++stalls > 3) goto broken;
            } else {
                stalls = 0;
            }
        }
        done += (int)chunk;
    }
    return sent;
broken:
    // The ring itself failed (EBADF, EFAULT, a kernel bug, ...): this batch and every later one
    // go by sendmmsg. Entries still queued refer to our msghdrs, so the ring is never entered
    // again; it is kept (and unmapped with the batch) rather than torn down mid-flight.
    {
        const int saved = errno;
        struct csbc_relay_ring *dead = b->ring;
        b->ring = NULL;
        // The packets of this batch not known to be sent: the rest of pending, minus those sent.
        int rest = 0;
        for (int j = done; j < pending; j++) {
            const int i = b->pending[j];
            if (!b->packets[i].sent) b->pending[rest++] = i;
        }
        b->dead_ring = dead;
        errno = saved;
        // sendmmsg for them, exactly as without a ring.
        return sent + send_grouped(b, rest, bytes_sent);
    }
}

#else // !CSBC_HAVE_IO_URING

static void ring_destroy(struct csbc_relay_ring *r) { (void)r; }

int csbc_relay_batch_enable_uring(csbc_relay_batch *b, unsigned entries) {
    (void)b; (void)entries;
    errno = ENOSYS;
    return -1;
}

unsigned csbc_relay_batch_uring_entries(const csbc_relay_batch *b) { (void)b; return 0; }

static int send_ring(csbc_relay_batch *b, int pending, uint64_t *bytes_sent) {
    (void)b; (void)pending; (void)bytes_sent;
    return 0;
}

#endif // CSBC_HAVE_IO_URING

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
