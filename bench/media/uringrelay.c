// uringrelay.c - the SBC's socket layout (a UDP socket per port, as portrelay.c) driven by
// io_uring instead of epoll + recvmmsg/sendmmsg: one multishot receive (IORING_OP_RECV with
// IORING_RECV_MULTISHOT) armed once on every socket, taking its buffers from one provided-buffer
// ring; every received packet becomes an IORING_OP_SENDMSG SQE out of the other side's socket to
// that side's fixed peer, in the same buffer (given back to the ring when the send completes).
// All the SQEs of a batch of completions go in the one io_uring_enter that also waits for the
// next completions: one syscall per batch instead of a recvmmsg + sendmmsg per ready socket.
// No validation, latching or statistics, like portrelay.
//
// Build: gcc -O2 -Wall -o bin/uringrelay src/uringrelay.c -luring     (liburing >= 2.3: liburing-dev)
// usage: uringrelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS] [-D] [-p]
//   session k: A-side socket IP:BASEPORT+4k (its packets go to -b from the B-side socket),
//              B-side socket IP:BASEPORT+4k+2 (its packets go to -a from the A-side socket)
//   -t   exit after SECONDS (bounded; default 60, max 600)
//   -D   no IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN (default: both, falling back if refused)
//   -p   probe: set up the ring and its buffer ring, then exit 0 (exit 3 when io_uring is refused)
// Prints packets relayed, completions per io_uring_enter and CPU (getrusage) at exit (also on SIGTERM).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relaytool.h"

#define NBUF 8192          // provided buffers (power of two): packets received and not yet sent
#define BUFSZ 2048
#define BGID 0
#define SEND_TAG (1ULL << 63)

static struct io_uring ring;

static struct io_uring_sqe *sqe_get(void) {
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);
    while (!s) { io_uring_submit(&ring); s = io_uring_get_sqe(&ring); }
    return s;
}

static void arm_recv(int fd, int i) {
    struct io_uring_sqe *s = sqe_get();
    io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    io_uring_sqe_set_data64(s, (uint64_t)i);
}

int main(int argc, char **argv) {
    struct relaytool_ports o = {.tmax = 60};
    int opt, defer = 1, probe = 0;
    while ((opt = getopt(argc, argv, "l:P:n:a:b:t:Dp")) != -1) {
        const int taken = relaytool_port_option(&o, opt, optarg);
        if (taken < 0) return 2;
        if (taken) continue;
        switch (opt) {
        case 'D': defer = 0; break;
        case 'p': probe = 1; break;
        default: return 2;
        }
    }
    if (relaytool_ports_check(&o, "usage: uringrelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS<=600] [-D] [-p]")) return 2;
    struct sockaddr_in *peer = o.peer, local = o.local;
    const char *ip = o.ip;
    const int base = o.base, sessions = o.sessions;
    const double tmax = o.tmax;
    relaytool_on_stop();

    struct io_uring_params p; memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_CQSIZE | (defer ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN : 0);
    p.cq_entries = 4 * NBUF;
    int rc = io_uring_queue_init_params(4096, &ring, &p);
    if (rc == -EINVAL && defer) {
        defer = 0; memset(&p, 0, sizeof p); p.flags = IORING_SETUP_CQSIZE; p.cq_entries = 4 * NBUF;
        rc = io_uring_queue_init_params(4096, &ring, &p);
    }
    if (rc < 0) { fprintf(stderr, "uringrelay: io_uring_queue_init: %s\n", strerror(-rc)); return 3; }

    // The provided-buffer ring (liburing 2.3 has no io_uring_setup_buf_ring: allocate and register it here).
    struct io_uring_buf_ring *br = NULL;
    unsigned char *bufs = NULL;
    if (posix_memalign((void **)&br, 4096, NBUF * sizeof(struct io_uring_buf)) ||
        posix_memalign((void **)&bufs, 4096, (size_t)NBUF * BUFSZ)) { perror("alloc"); return 1; }
    io_uring_buf_ring_init(br);
    struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = NBUF, .bgid = BGID};
    if ((rc = io_uring_register_buf_ring(&ring, &reg, 0))) { fprintf(stderr, "uringrelay: register_buf_ring: %s\n", strerror(-rc)); return 3; }
    const int mask = io_uring_buf_ring_mask(NBUF);
    for (int b = 0; b < NBUF; b++) io_uring_buf_ring_add(br, bufs + (size_t)b * BUFSZ, BUFSZ, (unsigned short)b, mask, b);
    io_uring_buf_ring_advance(br, NBUF);
    if (probe) { printf("uringrelay: io_uring ready (probe, taskrun=%s)\n", defer ? "defer" : "default"); io_uring_queue_exit(&ring); return 0; }
    static struct msghdr msgs[NBUF];
    static struct iovec iovs[NBUF];
    for (int b = 0; b < NBUF; b++) {
        iovs[b].iov_base = bufs + (size_t)b * BUFSZ;
        msgs[b] = (struct msghdr){.msg_namelen = sizeof(struct sockaddr_in), .msg_iov = &iovs[b], .msg_iovlen = 1};
    }

    int *fds = calloc((size_t)(2 * sessions), sizeof(int));
    if (!fds) { perror("calloc"); return 1; }
    for (int i = 0; i < 2 * sessions; i++) {
        // Socket i: session i/2, side i%2 (0 = A, 1 = B); it relays to side !(i%2)'s peer out of fds[i^1].
        local.sin_port = htons((uint16_t)(base + 4 * (i / 2) + 2 * (i % 2)));
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int size = 1 << 20;
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&local, sizeof local)) {
            fprintf(stderr, "bind %s:%d: %s\n", ip, ntohs(local.sin_port), strerror(errno));
            return 1;
        }
    }
    for (int i = 0; i < 2 * sessions; i++) arm_recv(fds[i], i);
    io_uring_submit(&ring);

    uint64_t relayed = 0, enters = 0, cqes = 0, rearms = 0, nobufs = 0, send_err = 0;
    const double start = relaytool_now();
    while (!relaytool_stop && relaytool_now() - start < tmax) {
        struct io_uring_cqe *cqe;
        struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
        rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
        enters++;
        if (rc < 0 && rc != -ETIME && rc != -EINTR) { fprintf(stderr, "uringrelay: wait: %s\n", strerror(-rc)); break; }
        unsigned head, seen = 0; int given_back = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            const uint64_t ud = cqe->user_data;
            if (ud & SEND_TAG) {
                const int b = (int)(ud & 0xffff);
                if (cqe->res > 0) relayed++; else send_err++;
                io_uring_buf_ring_add(br, bufs + (size_t)b * BUFSZ, BUFSZ, (unsigned short)b, mask, given_back++);
                continue;
            }
            const int i = (int)ud;
            if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
                const int b = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                iovs[b].iov_len = (size_t)cqe->res;
                msgs[b].msg_name = &peer[(i & 1) ^ 1];
                struct io_uring_sqe *s = sqe_get();
                io_uring_prep_sendmsg(s, fds[i ^ 1], &msgs[b], 0);
                io_uring_sqe_set_data64(s, SEND_TAG | (uint64_t)b);
            } else if (cqe->res == -ENOBUFS) {
                nobufs++;
            }
            if (!(cqe->flags & IORING_CQE_F_MORE)) { rearms++; arm_recv(fds[i], i); }
        }
        io_uring_cq_advance(&ring, seen);
        if (given_back) io_uring_buf_ring_advance(br, given_back);
        cqes += seen;
    }
    double cpu = relaytool_cpu();
    printf("uringrelay sessions=%d taskrun=%s relayed=%llu enters=%llu cqes_per_enter=%.2f rearms=%llu nobufs=%llu send_err=%llu cpu=%.3fs cpu_per_packet=%.3f us\n",
           sessions, defer ? "defer" : "default", (unsigned long long)relayed, (unsigned long long)enters,
           enters ? (double)cqes / (double)enters : 0.0, (unsigned long long)rearms, (unsigned long long)nobufs,
           (unsigned long long)send_err, cpu, relayed ? cpu * 1e6 / (double)relayed : 0.0);
    io_uring_queue_exit(&ring);
    return 0;
}
