// lookuprelay.c - the SBC's port layout (every call has its own RTP ports: session k's A side on
// BASEPORT+4k, its B side on BASEPORT+4k+2) received through ONE socket: a BPF_PROG_TYPE_SK_LOOKUP
// program, attached to this network namespace with BPF_LINK_CREATE, bpf_sk_assign()s every UDP
// packet for the relay's IP and port range to the socket held in a one-slot SOCKMAP. The relay
// reads that socket with recvmmsg (batch 64) and learns each packet's destination port from
// IP_RECVORIGDSTADDR. Replies must leave from the port the peer sent to (symmetric RTP), so every
// port still has a socket, bound and never read, used only to send:
//   -m sendto   one sendto per packet out of the other side's port socket
//   -m mmsg     the batch grouped by sending socket, one sendmmsg per group (default)
//   -m uring    one IORING_OP_SENDMSG SQE per packet, the whole batch in one io_uring_enter (only
//               when built with -DLOOKUPRELAY_URING -luring: liburing-dev)
// (No connected variant: a connected UDP socket wins the kernel's lookup before sk_lookup runs,
// so connecting a port socket to its peer steals that peer's packets from the lookup socket.)
// The BPF program is written out as instructions below (no clang/libbpf) and loaded with bpf(2).
// It only ever matches UDP to the -l address (which must be in 127.0.0.0/8) and ports
// BASEPORT..BASEPORT+4*SESSIONS-1; anything else goes on to the kernel's normal lookup. The link
// and the program go away when the process exits.
//
// Build: gcc -O2 -Wall -o bin/lookuprelay src/lookuprelay.c
//        gcc -O2 -Wall -DLOOKUPRELAY_URING -o bin/lookuprelay src/lookuprelay.c -luring   (adds -m uring)
// usage: lookuprelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS] [-m mmsg|sendto|uring] [-p]
//   -t   exit after SECONDS (bounded; default 60, max 600)
//   -p   probe: load and attach the program, then exit 0 (exit 4 when sk_lookup is refused)
// Needs CAP_BPF + CAP_NET_ADMIN (root) and a kernel with sk_lookup (5.9+); exits 4 with a
// message when either is missing. Prints packets relayed, packets per read, send calls and CPU.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "relaytool.h"
#ifdef LOOKUPRELAY_URING
#include <liburing.h>
#endif

#define BATCH 64
#define SLOT 2048

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

// Instruction builders (the kernel's filter.h macros are not in the UAPI headers).
#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JMP32_IMM(op, d, i, o) INSN(BPF_JMP32 | (op) | BPF_K, d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP_FD(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

/// Loads the sk_lookup program, puts `sock` in its SOCKMAP and links it to this netns.
/// Returns the link fd, or -1 with a message (errno kept).
static int attach_lookup(int sock, uint32_t ip_be, uint32_t port_lo, uint32_t port_hi) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_SOCKMAP; a.key_size = 4; a.value_size = 8; a.max_entries = 1;
    int map = (int)sys_bpf(BPF_MAP_CREATE, &a);
    if (map < 0) { fprintf(stderr, "lookuprelay: BPF_MAP_CREATE(SOCKMAP): %s\n", strerror(errno)); return -1; }
    uint32_t key = 0; uint64_t value = (uint64_t)sock;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)map; a.key = (uint64_t)(uintptr_t)&key; a.value = (uint64_t)(uintptr_t)&value; a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a)) { fprintf(stderr, "lookuprelay: SOCKMAP update: %s\n", strerror(errno)); return -1; }
    enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
    const int pass = 1;   // SK_PASS: with an assigned socket, deliver there; without, normal lookup
    // r6 = ctx; not UDP, not IPv4, not our IP or not in our port range: goto out. Otherwise
    // sk = map_lookup(sockmap, 0); if sk: sk_assign(ctx, sk, 0); sk_release(sk). out: return SK_PASS
    // (with a socket assigned the packet goes there; without, the kernel's normal lookup).
    // The "goto out" jumps are written with offset 0 and fixed up below (OUT marks them).
    const int16_t OUT = 0x7fff;
    struct bpf_insn prog[] = {
        MOV64_REG(R6, R1),
        LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, protocol)),
        JMP32_IMM(BPF_JNE, R2, IPPROTO_UDP, OUT),
        LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, family)),
        JMP32_IMM(BPF_JNE, R2, AF_INET, OUT),
        LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, local_ip4)),       // network byte order
        JMP32_IMM(BPF_JNE, R2, (int32_t)ip_be, OUT),
        LDX_W(R2, R6, offsetof(struct bpf_sk_lookup, local_port)),      // host byte order
        JMP32_IMM(BPF_JLT, R2, (int32_t)port_lo, OUT),
        JMP32_IMM(BPF_JGT, R2, (int32_t)port_hi, OUT),
        ST_W(R10, -4, 0),                                                // key 0 on the stack
        LD_MAP_FD(R1, map),
        MOV64_REG(R2, R10),
        ADD64_IMM(R2, -4),
        CALL(BPF_FUNC_map_lookup_elem),
        JMP_IMM(BPF_JEQ, R0, 0, OUT),
        MOV64_REG(R7, R0),
        MOV64_REG(R1, R6),
        MOV64_REG(R2, R7),
        MOV64_IMM(R3, 0),
        CALL(BPF_FUNC_sk_assign),
        MOV64_REG(R1, R7),
        CALL(BPF_FUNC_sk_release),
        MOV64_IMM(R0, pass),                                             // out:
        EXIT(),
    };
    const int n = (int)(sizeof prog / sizeof prog[0]), out = n - 2;
    for (int k = 0; k < n; k++)
        if ((BPF_CLASS(prog[k].code) == BPF_JMP || BPF_CLASS(prog[k].code) == BPF_JMP32) && prog[k].off == OUT)
            prog[k].off = (int16_t)(out - k - 1);
    static char log[65536];
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SK_LOOKUP; a.expected_attach_type = BPF_SK_LOOKUP;
    a.insns = (uint64_t)(uintptr_t)prog; a.insn_cnt = (uint32_t)n;
    a.license = (uint64_t)(uintptr_t)"Dual BSD/GPL";
    a.log_buf = (uint64_t)(uintptr_t)log; a.log_size = sizeof log; a.log_level = 1;
    int pfd = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (pfd < 0) { fprintf(stderr, "lookuprelay: BPF_PROG_LOAD(SK_LOOKUP): %s\n%s", strerror(errno), log); return -1; }
    int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0) { fprintf(stderr, "lookuprelay: /proc/self/ns/net: %s\n", strerror(errno)); return -1; }
    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = (uint32_t)pfd; a.link_create.target_fd = (uint32_t)ns; a.link_create.attach_type = BPF_SK_LOOKUP;
    int link = (int)sys_bpf(BPF_LINK_CREATE, &a);
    if (link < 0) { fprintf(stderr, "lookuprelay: BPF_LINK_CREATE(SK_LOOKUP): %s\n", strerror(errno)); return -1; }
    close(ns);
    return link;
}

int main(int argc, char **argv) {
    struct relaytool_ports o = {.tmax = 60};
    int opt;
    int mode = 1, probe = 0;   // 0 sendto, 1 sendmmsg, 2 io_uring
    while ((opt = getopt(argc, argv, "l:P:n:a:b:t:m:p")) != -1) {
        const int taken = relaytool_port_option(&o, opt, optarg);
        if (taken < 0) return 2;
        if (taken) continue;
        switch (opt) {
        case 'm': mode = !strcmp(optarg, "sendto") ? 0 : !strcmp(optarg, "uring") ? 2 : 1; break;
        case 'p': probe = 1; break;
        default: return 2;
        }
    }
    if (relaytool_ports_check(&o, "usage: lookuprelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS<=600] [-m mmsg|sendto|uring] [-p]")) return 2;
    struct sockaddr_in *peer = o.peer, local = o.local;
    const char *ip = o.ip;
    const int base = o.base, sessions = o.sessions;
    const double tmax = o.tmax;
    if ((ntohl(local.sin_addr.s_addr) >> 24) != 127) { fprintf(stderr, "lookuprelay: -l must be a loopback address (127.x.y.z): the steering must not reach other traffic\n"); return 2; }
    relaytool_on_stop();

    // The one receive socket: bound to the relay's IP on an ephemeral port outside the range (it
    // must be bound to go in a SOCKMAP); sk_lookup hands it every packet for the range.
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sz = 64 << 20, one = 1;
    if (setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz)) setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(rx, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof one);
    local.sin_port = 0;
    if (rx < 0 || bind(rx, (struct sockaddr *)&local, sizeof local)) { perror("lookuprelay: bind"); return 1; }
    const int port_lo = base, port_hi = base + 4 * sessions - 1;
    int link = attach_lookup(rx, local.sin_addr.s_addr, (uint32_t)port_lo, (uint32_t)port_hi);
    if (link < 0) return 4;
    if (probe) { printf("lookuprelay: sk_lookup attached and detached (probe)\n"); return 0; }

    // The port sockets: bound (so replies leave from the port the peer sent to), never read.
    int *fds = calloc((size_t)(2 * sessions), sizeof(int));
    if (!fds) { perror("calloc"); return 1; }
    for (int i = 0; i < 2 * sessions; i++) {
        local.sin_port = htons((uint16_t)(base + 4 * (i / 2) + 2 * (i % 2)));
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int small = 4096;   // never read: keep whatever might reach it small
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&local, sizeof local)) {
            fprintf(stderr, "bind %s:%d: %s\n", ip, ntohs(local.sin_port), strerror(errno));
            return 1;
        }
    }
#ifdef LOOKUPRELAY_URING
    struct io_uring ring;
    static struct msghdr umsg[BATCH];
    if (mode == 2) {
        struct io_uring_params up; memset(&up, 0, sizeof up);
        up.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
        int rc = io_uring_queue_init_params(2 * BATCH, &ring, &up);
        if (rc == -EINVAL) { memset(&up, 0, sizeof up); rc = io_uring_queue_init_params(2 * BATCH, &ring, &up); }
        if (rc < 0) { fprintf(stderr, "lookuprelay: io_uring_queue_init: %s\n", strerror(-rc)); return 3; }
    }
#else
    if (mode == 2) { fprintf(stderr, "lookuprelay: -m uring needs a build with -DLOOKUPRELAY_URING -luring\n"); return 3; }
#endif
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = rx};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rx, &ev)) { perror("epoll"); return 1; }

    static unsigned char slots[BATCH][SLOT];
    static unsigned char ctl[BATCH][64];
    static struct mmsghdr in[BATCH], out[BATCH];
    static struct iovec iov[BATCH];
    static int outfd[BATCH], order[BATCH];
    uint64_t relayed = 0, reads = 0, datagrams = 0, sendcalls = 0, stray = 0, send_err = 0, same_flow = 0;
    const double start = relaytool_now();
    while (!relaytool_stop && relaytool_now() - start < tmax) {
        struct epoll_event e;
        int ready = epoll_wait(ep, &e, 1, 100);
        if (ready <= 0) continue;
        for (;;) {
            for (int k = 0; k < BATCH; k++) {
                iov[k].iov_base = slots[k]; iov[k].iov_len = SLOT;
                in[k].msg_hdr = (struct msghdr){.msg_iov = &iov[k], .msg_iovlen = 1, .msg_control = ctl[k], .msg_controllen = sizeof ctl[k]};
            }
            int got = recvmmsg(rx, in, BATCH, MSG_DONTWAIT, NULL);
            if (got <= 0) break;
            reads++; datagrams += (uint64_t)got;
            // Destination port -> sending socket: port base+4k+2s is session k side s; the packet
            // goes out of the other side's socket (index 2k + !s) to that side's peer.
            int m = 0, prev = -1;
            for (int k = 0; k < got; k++) {
                int port = -1;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&in[k].msg_hdr); c; c = CMSG_NXTHDR(&in[k].msg_hdr, c))
                    if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR)
                        port = ntohs(((struct sockaddr_in *)CMSG_DATA(c))->sin_port);
                if (port >= 0 && port == prev) same_flow++;   // what GRO/GSO could merge at most: same port back to back
                prev = port;
                const int off = port - base;
                if (port < 0 || off < 0 || off > port_hi - base || (off & 1)) { stray++; continue; }   // RTCP ports: not relayed here
                const int i = (off >> 1) ^ 1;    // (2k + s) ^ 1 = 2k + !s
                iov[k].iov_len = in[k].msg_len;
                outfd[m] = i; order[m] = k; m++;
            }
#ifdef LOOKUPRELAY_URING
            if (mode == 2) {
                // Every send of the batch as an SQE; one io_uring_enter submits them all and waits
                // for their completions (UDP sends complete inline, so the wait costs nothing and
                // the receive buffers are free again when it returns).
                for (int j = 0; j < m; j++) {
                    const int k = order[j], i = outfd[j];
                    umsg[j] = (struct msghdr){.msg_name = &peer[i & 1], .msg_namelen = sizeof peer[i & 1], .msg_iov = &iov[k], .msg_iovlen = 1};
                    struct io_uring_sqe *sq = io_uring_get_sqe(&ring);
                    io_uring_prep_sendmsg(sq, fds[i], &umsg[j], MSG_DONTWAIT);
                }
                if (m > 0) {
                    io_uring_submit_and_wait(&ring, (unsigned)m);
                    sendcalls++;
                    struct io_uring_cqe *cqe; unsigned head, seen = 0;
                    io_uring_for_each_cqe(&ring, head, cqe) { seen++; if (cqe->res >= 0) relayed++; else send_err++; }
                    io_uring_cq_advance(&ring, seen);
                }
            } else
#endif
            if (mode == 0) {
                for (int j = 0; j < m; j++) {
                    const int k = order[j], i = outfd[j];
                    ssize_t r = sendto(fds[i], slots[k], iov[k].iov_len, MSG_DONTWAIT, (struct sockaddr *)&peer[i & 1], sizeof peer[i & 1]);
                    sendcalls++;
                    if (r < 0) send_err++; else relayed++;
                }
            } else {
                // Group by sending socket, keeping order within a socket: one sendmmsg per group.
                static unsigned char done[BATCH];
                memset(done, 0, (size_t)m);
                for (int j = 0; j < m; j++) {
                    if (done[j]) continue;
                    const int i = outfd[j]; int g = 0;
                    for (int q = j; q < m; q++) {
                        if (done[q] || outfd[q] != i) continue;
                        done[q] = 1;
                        const int k = order[q];
                        out[g].msg_hdr = (struct msghdr){.msg_name = &peer[i & 1], .msg_namelen = sizeof peer[i & 1],
                                                         .msg_iov = &iov[k], .msg_iovlen = 1};
                        g++;
                    }
                    for (int o = 0; o < g;) {
                        int sent = sendmmsg(fds[i], out + o, (unsigned)(g - o), MSG_DONTWAIT);
                        sendcalls++;
                        if (sent < 0) { if (errno == EINTR) continue; send_err += (uint64_t)(g - o); break; }
                        o += sent; relayed += (uint64_t)sent;
                    }
                }
            }
            if (got < BATCH) break;
        }
    }
    double cpu = relaytool_cpu();
    printf("lookuprelay sessions=%d send=%s relayed=%llu reads=%llu pkts_per_read=%.2f send_calls=%llu pkts_per_send=%.2f same_port_adjacent=%llu stray=%llu send_err=%llu cpu=%.3fs cpu_per_packet=%.3f us\n",
           sessions, mode == 2 ? "io_uring" : mode ? "sendmmsg" : "sendto", (unsigned long long)relayed,
           (unsigned long long)reads, reads ? (double)datagrams / (double)reads : 0.0, (unsigned long long)sendcalls,
           sendcalls ? (double)relayed / (double)sendcalls : 0.0, (unsigned long long)same_flow, (unsigned long long)stray, (unsigned long long)send_err,
           cpu, relayed ? cpu * 1e6 / (double)relayed : 0.0);
    close(link);
    return 0;
}
