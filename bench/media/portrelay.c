// portrelay.c - the C floor of the SBC's socket layout: N two-way sessions, each with its own
// A-side and B-side UDP socket (as MediaRelay has, because SDP gives every call its own ports),
// one level-triggered epoll, recvmmsg of up to 32 per readiness and one sendmmsg out of the
// other side's socket to that side's fixed peer. No validation, latching or statistics: what the
// kernel charges for this layout, so the bench can tell the Swift relay's own cost from the
// layout's (udprelay, one socket for everything, reads ~9 packets per recvmmsg; here it is ~1).
//
// Build: gcc -O2 -Wall -o bin/portrelay src/portrelay.c
// usage: portrelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS] [-c] [-g]
//   session k: A-side socket IP:BASEPORT+4k (its packets go to -b from the B-side socket),
//              B-side socket IP:BASEPORT+4k+2 (its packets go to -a from the A-side socket)
//   -t   exit after SECONDS (bounded; default 60, max 600)
//   -c   connected sockets: each socket is connect()ed to the peer it sends to before its first
//        send, then sendmmsg goes without addresses (the kernel keeps the route in the socket)
//   -g   GRO/GSO experiment: UDP_GRO on every socket, each read's segment count taken from its
//        UDP_GRO cmsg (gso_size), a coalesced read forwarded with UDP_SEGMENT; prints how many
//        segments per read the kernel actually coalesced
// Prints packets relayed, packets per recvmmsg and CPU (getrusage) at exit (also on SIGTERM).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relaytool.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define BATCH 32
#define SLOT 2048
#define GRO_SLOT 65536   // a GRO read may hold many segments
#define CTL 64

int main(int argc, char **argv) {
    struct relaytool_ports o = {.tmax = 60};
    int opt;
    int connected = 0, gro = 0;
    while ((opt = getopt(argc, argv, "l:P:n:a:b:t:cg")) != -1) {
        const int taken = relaytool_port_option(&o, opt, optarg);
        if (taken < 0) return 2;
        if (taken) continue;
        switch (opt) {
        case 'c': connected = 1; break;
        case 'g': gro = 1; break;
        default: return 2;
        }
    }
    if (relaytool_ports_check(&o, "usage: portrelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS<=600] [-c] [-g]")) return 2;
    struct sockaddr_in *peer = o.peer, local = o.local;
    const char *ip = o.ip;
    const int base = o.base, sessions = o.sessions;
    const double tmax = o.tmax;
    relaytool_on_stop();
    int *fds = calloc((size_t)(2 * sessions), sizeof(int));
    unsigned char *isconn = calloc((size_t)(2 * sessions), 1);
    int ep = epoll_create1(0);
    if (!fds || !isconn || ep < 0) { perror("setup"); return 1; }
    for (int i = 0; i < 2 * sessions; i++) {
        // Socket i: session i/2, side i%2 (0 = A, 1 = B); it relays to side !(i%2)'s peer out of fds[i^1].
        local.sin_port = htons((uint16_t)(base + 4 * (i / 2) + 2 * (i % 2)));
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int size = 1 << 20, one = 1;
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (gro && setsockopt(fds[i], IPPROTO_UDP, UDP_GRO, &one, sizeof one)) { perror("UDP_GRO"); return 1; }
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&local, sizeof local)) {
            fprintf(stderr, "bind %s:%d: %s\n", ip, ntohs(local.sin_port), strerror(errno));
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev)) { perror("epoll_ctl"); return 1; }
    }
    static unsigned char slots[BATCH * GRO_SLOT];
    const size_t slot = gro ? GRO_SLOT : SLOT;
    static unsigned char ctl[BATCH][CTL];
    static struct mmsghdr headers[BATCH];
    static struct iovec iov[BATCH];
    static struct sockaddr_in sources[BATCH];
    struct epoll_event events[64];
    uint64_t relayed = 0, reads = 0, datagrams = 0, sendcalls = 0, wakeups = 0, coalesced = 0, maxseg = 1;
    const double start = relaytool_now();
    while (!relaytool_stop && relaytool_now() - start < tmax) {
        int ready = epoll_wait(ep, events, 64, 100);
        if (ready < 0 && errno != EINTR) { perror("epoll_wait"); break; }
        if (ready > 0) wakeups++;
        for (int e = 0; e < ready; e++) {
            const int i = (int)events[e].data.u32, o = i ^ 1;
            struct sockaddr_in *to = &peer[(i & 1) ^ 1];
            if (connected && !isconn[o]) {
                // The peer is known once its first packet is here (fixed peers in this bench).
                if (connect(fds[o], (struct sockaddr *)to, sizeof *to)) { perror("connect"); return 1; }
                isconn[o] = 1;
            }
            for (;;) {
                for (int k = 0; k < BATCH; k++) {
                    iov[k].iov_base = slots + (size_t)k * slot; iov[k].iov_len = slot;
                    headers[k].msg_hdr = (struct msghdr){.msg_name = &sources[k], .msg_namelen = sizeof sources[k],
                                                         .msg_iov = &iov[k], .msg_iovlen = 1,
                                                         .msg_control = gro ? ctl[k] : NULL, .msg_controllen = gro ? CTL : 0};
                }
                int got = recvmmsg(fds[i], headers, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0) break;
                reads++; datagrams += (uint64_t)got;
                uint64_t segs = (uint64_t)got;
                for (int k = 0; k < got; k++) {
                    iov[k].iov_len = headers[k].msg_len;
                    if (connected) { headers[k].msg_hdr.msg_name = NULL; headers[k].msg_hdr.msg_namelen = 0; }
                    else { headers[k].msg_hdr.msg_name = to; headers[k].msg_hdr.msg_namelen = sizeof *to; }
                    int gso = 0;
                    if (gro) {
                        for (struct cmsghdr *c = CMSG_FIRSTHDR(&headers[k].msg_hdr); c; c = CMSG_NXTHDR(&headers[k].msg_hdr, c))
                            if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) memcpy(&gso, CMSG_DATA(c), sizeof gso);
                    }
                    if (gso > 0 && headers[k].msg_len > (unsigned)gso) {
                        // A coalesced read: send it back out as the same segments (UDP_SEGMENT).
                        uint64_t n = (headers[k].msg_len + (unsigned)gso - 1) / (unsigned)gso;
                        segs += n - 1; coalesced++; if (n > maxseg) maxseg = n;
                        struct cmsghdr *c = (struct cmsghdr *)ctl[k];
                        c->cmsg_level = IPPROTO_UDP; c->cmsg_type = UDP_SEGMENT; c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
                        uint16_t g = (uint16_t)gso; memcpy(CMSG_DATA(c), &g, sizeof g);
                        headers[k].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
                    } else {
                        headers[k].msg_hdr.msg_control = NULL; headers[k].msg_hdr.msg_controllen = 0;
                    }
                }
                for (int off = 0; off < got;) {
                    int sent = sendmmsg(fds[o], headers + off, (unsigned)(got - off), MSG_DONTWAIT);
                    sendcalls++;
                    if (sent < 0) { if (errno == EINTR) continue; break; }
                    off += sent;
                }
                relayed += segs;
                if (got < BATCH) break;
            }
        }
    }
    double cpu = relaytool_cpu();
    printf("portrelay sessions=%d mode=%s relayed=%llu wakeups=%llu reads=%llu pkts_per_read=%.2f send_calls=%llu cpu=%.3fs cpu_per_packet=%.3f us\n",
           sessions, gro ? "gro" : connected ? "connected" : "plain", (unsigned long long)relayed,
           (unsigned long long)wakeups, (unsigned long long)reads, reads ? (double)datagrams / (double)reads : 0.0,
           (unsigned long long)sendcalls, cpu, relayed ? cpu * 1e6 / (double)relayed : 0.0);
    if (gro)
        printf("portrelay gro: datagrams_read=%llu segments=%llu coalesced_reads=%llu segs_per_read=%.3f max_segs=%llu\n",
               (unsigned long long)datagrams, (unsigned long long)relayed, (unsigned long long)coalesced,
               datagrams ? (double)relayed / (double)datagrams : 0.0, (unsigned long long)maxseg);
    return 0;
}
