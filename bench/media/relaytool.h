// relaytool.h - what the bench's C relays (udprelay.c, portrelay.c, uringrelay.c, lookuprelay.c)
// share: parsing IP:PORT, a monotonic clock, the process's CPU time and a SIGTERM/SIGINT flag (so
// a relay stopped by the bench still prints its counters). Header-only: each relay is still built
// by one gcc line from its own .c.
#pragma once
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/// The options the socket-per-port relays (portrelay, uringrelay, lookuprelay) share: -l IP
/// -P BASEPORT -n SESSIONS -a IP:PORT -b IP:PORT [-t SECONDS].
struct relaytool_ports {
    struct sockaddr_in peer[2], local;
    const char *ip;
    int base, sessions, have;
    double tmax;
};

/// Takes `opt` when it is one of those: 1 taken, 0 not one of them, -1 a bad value (printed).
static inline int relaytool_port_option(struct relaytool_ports *o, int opt, const char *arg) {
    switch (opt) {
    case 'l': o->ip = arg; return 1;
    case 'P': o->base = atoi(arg); return 1;
    case 'n': o->sessions = atoi(arg); return 1;
    case 'a': case 'b':
        if (relaytool_parse(arg, &o->peer[opt == 'b'])) { fprintf(stderr, "bad -%c %s\n", opt, arg); return -1; }
        o->have |= opt == 'a' ? 1 : 2;
        return 1;
    case 't': o->tmax = atof(arg); return 1;
    default: return 0;
    }
}

/// After getopt: 0 when every option is there and in range (and `local` is the -l address),
/// -1 otherwise (`usage` printed).
static inline int relaytool_ports_check(struct relaytool_ports *o, const char *usage) {
    if (!o->ip || o->have != 3 || o->sessions < 1 || o->base < 1 || o->base + 4 * o->sessions > 65535 ||
        o->tmax <= 0 || o->tmax > 600) {
        fprintf(stderr, "%s\n", usage);
        return -1;
    }
    if (relaytool_parse("0.0.0.0:0", &o->local) || inet_pton(AF_INET, o->ip, &o->local.sin_addr) != 1) {
        fprintf(stderr, "bad -l %s\n", o->ip);
        return -1;
    }
    return 0;
}
