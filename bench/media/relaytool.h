// relaytool.h - what the bench's C relays (udprelay.c, portrelay.c) share: parsing IP:PORT and a
// monotonic clock. Header-only: each relay is still built by one gcc line from its own .c.
#pragma once
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
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
