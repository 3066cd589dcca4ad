// relaytool.h - what the bench's C relays (udprelay.c, portrelay.c, uringrelay.c, lookuprelay.c)
// share: parsing IP:PORT, a monotonic clock, the process's CPU time and a SIGTERM/SIGINT flag (so
// a relay stopped by the bench still prints its counters). Header-only: each relay is still built
// by one gcc line from its own .c.
#pragma once
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/// "IPv4:PORT" into `a`; 0 on success, -1 when it is not one.
static inline int relaytool_parse(const char *s, struct sockaddr_in *a) {
    char ip[64]; int port;
    if (sscanf(s, "%63[^:]:%d", ip, &port) != 2 || port < 0 || port > 65535) return -1;
    memset(a, 0, sizeof *a); a->sin_family = AF_INET; a->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

static inline double relaytool_now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/// user + system CPU seconds of the whole process (all threads).
static inline double relaytool_cpu(void) {
    struct rusage r; getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

/// Set by SIGTERM/SIGINT after relaytool_on_stop(): the relay leaves its loop and prints its counters.
static volatile sig_atomic_t relaytool_stop;
static void relaytool_stop_handler(int sig) { (void)sig; relaytool_stop = 1; }
static inline void relaytool_on_stop(void) {
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_handler = relaytool_stop_handler;   // no SA_RESTART: a blocking wait returns EINTR
    sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);
}
