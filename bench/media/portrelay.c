// portrelay.c - the C floor of the SBC's socket layout: N two-way sessions, each with its own
// A-side and B-side UDP socket (as MediaRelay has, because SDP gives every call its own ports),
// one level-triggered epoll, recvmmsg of up to 32 per readiness and one sendmmsg out of the
// other side's socket to that side's fixed peer. No validation, latching or statistics: what the
// kernel charges for this layout, so the bench can tell the Swift relay's own cost from the
// layout's (udprelay, one socket for everything, reads ~9 packets per recvmmsg; here it is ~1).
//
// Build: gcc -O2 -Wall -o bin/portrelay src/portrelay.c
// usage: portrelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS]
//   session k: A-side socket IP:BASEPORT+4k (its packets go to -b from the B-side socket),
//              B-side socket IP:BASEPORT+4k+2 (its packets go to -a from the A-side socket)
//   -t   exit after SECONDS (bounded; default 60, max 600)
// Prints packets relayed and CPU (getrusage) at exit.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

#define BATCH 32
#define SLOT 2048


int main(int argc, char **argv) {
    struct sockaddr_in peer[2], local; const char *ip = NULL; int base = 0, sessions = 0, have = 0, opt;
    double tmax = 60;
    while ((opt = getopt(argc, argv, "l:P:n:a:b:t:")) != -1) {
        switch (opt) {
        case 'l': ip = optarg; break;
        case 'P': base = atoi(optarg); break;
        case 'n': sessions = atoi(optarg); break;
        case 'a': if (relaytool_parse(optarg, &peer[0])) { fprintf(stderr, "bad -a %s\n", optarg); return 2; } have |= 1; break;
        case 'b': if (relaytool_parse(optarg, &peer[1])) { fprintf(stderr, "bad -b %s\n", optarg); return 2; } have |= 2; break;
        case 't': tmax = atof(optarg); break;
        default: return 2;
        }
    }
    if (!ip || have != 3 || sessions < 1 || base < 1 || base + 4 * sessions > 65535 || tmax <= 0 || tmax > 600) {
        fprintf(stderr, "usage: portrelay -l IP -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS<=600]\n");
        return 2;
    }
    if (relaytool_parse("0.0.0.0:0", &local) || inet_pton(AF_INET, ip, &local.sin_addr) != 1) { fprintf(stderr, "bad -l %s\n", ip); return 2; }
    int *fds = calloc((size_t)(2 * sessions), sizeof(int));
    int ep = epoll_create1(0);
    if (!fds || ep < 0) { perror("setup"); return 1; }
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
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev)) { perror("epoll_ctl"); return 1; }
    }
    static unsigned char slots[BATCH][SLOT];
    static struct mmsghdr headers[BATCH];
    static struct iovec iov[BATCH];
    static struct sockaddr_in sources[BATCH];
    struct epoll_event events[64];
    uint64_t relayed = 0;
    const double start = relaytool_now();
    while (relaytool_now() - start < tmax) {
        int ready = epoll_wait(ep, events, 64, 100);
        if (ready < 0 && errno != EINTR) { perror("epoll_wait"); break; }
        for (int e = 0; e < ready; e++) {
            const int i = (int)events[e].data.u32;
            struct sockaddr_in *to = &peer[(i & 1) ^ 1];
            for (;;) {
                for (int k = 0; k < BATCH; k++) {
                    iov[k].iov_base = slots[k]; iov[k].iov_len = SLOT;
                    headers[k].msg_hdr = (struct msghdr){.msg_name = &sources[k], .msg_namelen = sizeof sources[k],
                                                         .msg_iov = &iov[k], .msg_iovlen = 1};
                }
                int got = recvmmsg(fds[i], headers, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0) break;
                for (int k = 0; k < got; k++) {
                    iov[k].iov_len = headers[k].msg_len;
                    headers[k].msg_hdr.msg_name = to; headers[k].msg_hdr.msg_namelen = sizeof *to;
                }
                for (int off = 0; off < got;) {
                    int sent = sendmmsg(fds[i ^ 1], headers + off, (unsigned)(got - off), MSG_DONTWAIT);
                    if (sent < 0) { if (errno == EINTR) continue; break; }
                    off += sent; relayed += (uint64_t)sent;
                }
                if (got < BATCH) break;
            }
        }
    }
    struct rusage r; getrusage(RUSAGE_SELF, &r);
    double cpu = r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
    printf("portrelay sessions=%d relayed=%llu cpu=%.3fs cpu_per_packet=%.3f us\n", sessions,
           (unsigned long long)relayed, cpu, relayed ? cpu * 1e6 / (double)relayed : 0.0);
    return 0;
}
