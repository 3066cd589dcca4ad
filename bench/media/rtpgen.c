// rtpgen.c - paced RTP-like UDP generator + sink (sendmmsg / recvmmsg), for loopback relay benchmarks.
//
// Build: see the SRTP note below (libsrtp2 is linked).
//
// Sockets:  -b IP:PORT      bind a socket (repeatable; first is index 0, next 1, ...)
// Streams:  -f FILE         lines "SOCKIDX DSTIP DSTPORT" ; stream id = line number (0-based;
//                           blank and #-comment lines are skipped and not counted)
//                           or "SRCIP:SRCPORT DSTIP DSTPORT": the stream is sent from (and its
//                           replies arrive on) a socket bound to SRCIP:SRCPORT, bound on first use
//                           and shared by every line naming the same source (one socket per call
//                           leg, as real endpoints have); both forms may be mixed in one file
//           -S SOCKIDX:DSTIP:DSTPORT:COUNT   add COUNT streams from socket SOCKIDX to one dst
// Rate:     -r PPS          packets/s per stream (default 50 = G.711 20 ms)
//           -R PPS          total packets/s (overrides -r; spread round-robin over streams)
// Misc:     -t SECONDS      send duration (required, bounded)
//           -s BYTES        UDP payload size (default 172 = 12 RTP hdr + 160 PCMU)
//           -B N            sendmmsg/recvmmsg batch (default 64)
//           -q USEC         pacing tick (default 1000)
//           -w MS           drain wait after sending stops (default 1000)
//           -T CPU -X CPU   pin tx thread / rx thread to a CPU
//           -n              no receiver (pure generator)
//           -D              'drop sink': attach a drop-all BPF filter to every bound socket and run no
//                           receiver (packets are discarded in the kernel before queueing; the
//                           device under test must report what it forwarded)
//           -W SECONDS      warm-up: packets sent in the first W seconds are excluded from
//                           loss/latency stats (they are still sent) (default 0)
//
// Transmit order: within each pacing cycle the streams are sent grouped by socket (stream-id order
// inside a socket), so that one sendmmsg carries up to -B packets even when the stream file
// alternates sockets (A leg, B leg, A leg, ...); every stream still gets exactly -r packets/s.
//
// Every packet: RTP v2 header (PT 0, seq, ts += 160, SSRC = 0x10000000+stream) then payload
// magic "PBN1", u32 stream, u32 seq, u64 tx_ns (CLOCK_MONOTONIC). The receiver thread
// (epoll over all bound sockets, recvmmsg) counts per stream and builds a latency histogram.
// Output: one summary block with tx/rx counts, loss %, achieved rates, latency p50/p99/p99.9/max,
// and per-thread CPU (getrusage RUSAGE_THREAD).
//
// SRTP (libsrtp2): a stream-file line may end with "tx=SUITE:KEY" (the stream's packets are
// protected with that master key and salt, base64 as in a=crypto's inline:) and/or "rx=SUITE:KEY"
// (packets of that stream arriving at any socket are unprotected with it; the stream is known from
// the SSRC, which SRTP leaves in the clear). SUITE: AES_CM_128_HMAC_SHA1_80,
// AES_CM_128_HMAC_SHA1_32 or AEAD_AES_128_GCM. Packets that fail to unprotect count as bad
// (and as srtp_fail).
//
// Build: gcc -O2 -Wall -pthread -o rtpgen rtpgen.c -lm $(pkg-config --cflags --libs libsrtp2)
//
// SwiftSBC bench copy of ../shared/peers/src/rtpgen.c. Changes: the "SRCIP:SRCPORT DSTIP DSTPORT"
// stream-file form (per-stream source sockets, no fixed socket limit), the socket-grouped
// transmit order described above, latency percentiles above 100 ms (1 ms buckets up to 10 s;
// before, any percentile above 100 ms printed the maximum), and SRTP per stream.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <srtp2/srtp.h>

#define MAXEV 256
#define MAXB 1024
#define HBUCK 100000 /* 1 us buckets up to 100 ms */
#define HBUCK_MS 10000 /* then 1 ms buckets up to 10 s */

typedef struct { int sock; struct sockaddr_in dst; srtp_t tx, rx; } stream_t;
#define SRTP_ROOM 160 /* SRTP_MAX_TRAILER_LEN (144) rounded up, after every packet buffer */

static int nsock = 0, cap_sock = 0, *socks = NULL;
static stream_t *streams = NULL;
static int *order = NULL; /* transmit order: stream ids grouped by socket */
static int nstreams = 0, cap_streams = 0;
static double pps_per_stream = 50, total_pps = 0;
static double duration = 0, warmup = 0;
static int psize = 172, batch = 64, tick_us = 1000, drain_ms = 1000;
static int cpu_tx = -1, cpu_rx = -1, no_rx = 0, drop_sink = 0;

static volatile int tx_done = 0, rx_stop = 0;
static uint64_t t_start_ns, t_warm_ns;
static uint64_t tx_total = 0, tx_late_max = 0, tx_skipped = 0;
static uint32_t *tx_seq_counted_from; /* per stream: first seq counted (after warm-up) */
static uint32_t *tx_seq_end;          /* per stream: number sent */
static uint64_t *rx_cnt;              /* per stream received (counted) */
static uint64_t rx_total = 0, rx_counted = 0, rx_bad = 0, rx_reorder = 0, rx_srtp_fail = 0;
static uint32_t *rx_maxseq;
static uint64_t *hist, *hist_ms;
static uint64_t lat_max = 0, lat_over = 0;
static double cpu_tx_s = 0, cpu_rx_s = 0;

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double thread_cpu(void) {
    struct rusage ru; getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static int parse_addr(const char *ip, int port, struct sockaddr_in *a) {
    memset(a, 0, sizeof *a); a->sin_family = AF_INET; a->sin_port = htons(port);
    return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

/* bind a UDP socket with the given buffer sizes; returns its index in socks[] */
static int open_sock(const struct sockaddr_in *a, int rcvbuf, int sndbuf) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); exit(2); }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf)) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf)) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (bind(fd, (const struct sockaddr *)a, sizeof *a)) {
        char ip[INET_ADDRSTRLEN]; inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        fprintf(stderr, "bind %s:%d: %s\n", ip, ntohs(a->sin_port), strerror(errno)); exit(2);
    }
    if (nsock == cap_sock) {
        cap_sock = cap_sock ? cap_sock * 2 : 64;
        socks = realloc(socks, cap_sock * sizeof *socks);
    }
    socks[nsock] = fd;
    return nsock++;
}

/* source address -> socket index, for "SRCIP:SRCPORT" stream lines (open addressing) */
static uint64_t *src_keys = NULL; static int *src_idx = NULL; static size_t src_cap = 0, src_used = 0;
static int src_sock(const char *ip, int port) {
    struct sockaddr_in a;
    if (parse_addr(ip, port, &a)) { fprintf(stderr, "bad source %s:%d\n", ip, port); exit(2); }
    uint64_t key = ((uint64_t)a.sin_addr.s_addr << 16 | (uint64_t)port) + 1;
    if (src_used * 2 >= src_cap) { /* grow and rehash */
        size_t ncap = src_cap ? src_cap * 2 : 4096;
        uint64_t *nk = calloc(ncap, sizeof *nk); int *ni = calloc(ncap, sizeof *ni);
        for (size_t i = 0; i < src_cap; i++) if (src_keys[i]) {
            size_t h = (src_keys[i] * 0x9E3779B97F4A7C15ull) & (ncap - 1);
            while (nk[h]) h = (h + 1) & (ncap - 1);
            nk[h] = src_keys[i]; ni[h] = src_idx[i];
        }
        free(src_keys); free(src_idx); src_keys = nk; src_idx = ni; src_cap = ncap;
    }
    size_t h = (key * 0x9E3779B97F4A7C15ull) & (src_cap - 1);
    while (src_keys[h]) { if (src_keys[h] == key) return src_idx[h]; h = (h + 1) & (src_cap - 1); }
    src_keys[h] = key; src_used++;
    return src_idx[h] = open_sock(&a, 1 << 20, 1 << 20); /* 1 MB each: one call leg's worth */
}

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* "SUITE:BASE64" -> an SRTP session for any SSRC, inbound or outbound; exits on a bad spec */
static srtp_t make_srtp(const char *spec, int inbound) {
    static int initialised = 0;
    if (!initialised) { if (srtp_init() != srtp_err_status_ok) { fprintf(stderr, "srtp_init failed\n"); exit(2); } initialised = 1; }
    char suite[64]; const char *colon = strchr(spec, ':');
    if (!colon || colon - spec >= (long)sizeof suite) { fprintf(stderr, "bad SRTP spec %s\n", spec); exit(2); }
    memcpy(suite, spec, colon - spec); suite[colon - spec] = 0;
    unsigned char key[64]; int n = 0, bits = 0; unsigned acc = 0;
    for (const char *c = colon + 1; *c && *c != '=' && !strchr(" \t\r\n|", *c); c++) {
        int v = b64val(*c); if (v < 0) { fprintf(stderr, "bad base64 in %s\n", spec); exit(2); }
        acc = acc << 6 | v; bits += 6;
        if (bits >= 8) { bits -= 8; if (n < (int)sizeof key) key[n++] = acc >> bits & 0xff; }
    }
    srtp_policy_t p; memset(&p, 0, sizeof p);
    int want;
    if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp); srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp); want = 30;
    } else if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_32")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp); srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp); want = 30;
    } else if (!strcmp(suite, "AEAD_AES_128_GCM")) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp); srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp); want = 28;
    } else { fprintf(stderr, "unsupported suite %s\n", suite); exit(2); }
    if (n != want) { fprintf(stderr, "%s needs %d key bytes, got %d\n", suite, want, n); exit(2); }
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.key = key;
    srtp_t session;
    if (srtp_create(&session, &p) != srtp_err_status_ok) { fprintf(stderr, "srtp_create failed for %s\n", spec); exit(2); }
    return session;
}

static void add_stream(int s, const char *ip, int port) {
    if (nstreams == cap_streams) {
        cap_streams = cap_streams ? cap_streams * 2 : 1024;
        streams = realloc(streams, cap_streams * sizeof *streams);
    }
    if (s < 0 || s >= nsock) { fprintf(stderr, "bad sock idx %d\n", s); exit(2); }
    streams[nstreams].sock = s;
    streams[nstreams].tx = streams[nstreams].rx = NULL;
    if (parse_addr(ip, port, &streams[nstreams].dst)) { fprintf(stderr, "bad ip %s\n", ip); exit(2); }
    nstreams++;
}

static void *tx_thread(void *arg) {
    (void)arg; pin(cpu_tx);
    double rate = total_pps > 0 ? total_pps : pps_per_stream * nstreams;
    /* transmit order grouped by socket (counting sort, stable) so sendmmsg batches */
    order = malloc(nstreams * sizeof *order);
    int *start = calloc(nsock + 1, sizeof *start);
    for (int i = 0; i < nstreams; i++) start[streams[i].sock + 1]++;
    for (int k = 0; k < nsock; k++) start[k + 1] += start[k];
    for (int i = 0; i < nstreams; i++) order[start[streams[i].sock]++] = i;
    free(start);
    struct mmsghdr *mm = calloc(MAXB, sizeof *mm);
    struct iovec *iov = calloc(MAXB, sizeof *iov);
    size_t stride = ((size_t)psize + SRTP_ROOM + 15) & ~(size_t)15; /* 16-aligned, room for SRTP */
    unsigned char *bufs = aligned_alloc(64, MAXB * stride);
    uint32_t *seq = calloc(nstreams, sizeof *seq);
    for (int i = 0; i < MAXB; i++) {
        iov[i].iov_base = bufs + (size_t)i * stride; iov[i].iov_len = psize;
        mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
        memset(iov[i].iov_base, 0xff, psize);
    }
    uint64_t sent = 0; int cur = 0; int warm_marked = (warmup <= 0);
    if (warm_marked) for (int i = 0; i < nstreams; i++) tx_seq_counted_from[i] = 0;
    uint64_t dur_ns = (uint64_t)(duration * 1e9);
    struct timespec next; clock_gettime(CLOCK_MONOTONIC, &next);
    double c0 = thread_cpu();
    for (;;) {
        uint64_t t = now_ns();
        uint64_t el = t - t_start_ns;
        if (el >= dur_ns) break;
        uint64_t target = (uint64_t)(rate * (el / 1e9));
        if (target > sent && target - sent > tx_late_max) tx_late_max = target - sent;
        /* generator saturated: never build a backlog above 100 ms worth; skipped slots are
           reported (tx_skipped>0 => the generator, not the device under test, was the limit) */
        uint64_t cap = (uint64_t)(rate * 0.1) + batch;
        if (target > sent + cap) { tx_skipped += target - sent - cap; sent = target - cap; }
        while (sent < target) {
            if (now_ns() - t_start_ns >= dur_ns) break;
            int n = 0; int s = streams[order[cur]].sock;
            uint64_t txns = now_ns();
            if (!warm_marked && txns >= t_warm_ns) {
                for (int i = 0; i < nstreams; i++) tx_seq_counted_from[i] = seq[i];
                warm_marked = 1;
            }
            while (n < batch && sent + n < target && streams[order[cur]].sock == s) {
                unsigned char *p = iov[n].iov_base;
                int sid_i = order[cur];
                uint32_t sq = seq[sid_i]++;
                p[0] = 0x80; p[1] = 0x00;
                p[2] = sq >> 8; p[3] = sq;
                uint32_t ts = sq * 160; p[4] = ts >> 24; p[5] = ts >> 16; p[6] = ts >> 8; p[7] = ts;
                uint32_t ssrc = 0x10000000u + sid_i; p[8] = ssrc >> 24; p[9] = ssrc >> 16; p[10] = ssrc >> 8; p[11] = ssrc;
                memcpy(p + 12, "PBN1", 4);
                uint32_t sid = sid_i; memcpy(p + 16, &sid, 4); memcpy(p + 20, &sq, 4); memcpy(p + 24, &txns, 8);
                int len = psize;
                if (streams[sid_i].tx && srtp_protect(streams[sid_i].tx, p, &len) != srtp_err_status_ok) {
                    fprintf(stderr, "srtp_protect failed\n"); len = psize;
                }
                iov[n].iov_len = len;
                mm[n].msg_hdr.msg_name = &streams[sid_i].dst;
                n++;
                if (++cur == nstreams) cur = 0;
            }
            int off = 0;
            while (off < n) {
                int r = sendmmsg(socks[s], mm + off, n - off, 0);
                if (r < 0) {
                    if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
                    if (errno == ECONNREFUSED) { off++; continue; }
                    perror("sendmmsg"); off = n; break;
                }
                off += r;
            }
            sent += n; tx_total += n;
        }
        next.tv_nsec += tick_us * 1000L;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    cpu_tx_s = thread_cpu() - c0;
    for (int i = 0; i < nstreams; i++) tx_seq_end[i] = seq[i];
    __atomic_store_n(&tx_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *rx_thread(void *arg) {
    (void)arg; pin(cpu_rx);
    int ep = epoll_create1(0);
    for (int i = 0; i < nsock; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, socks[i], &ev);
    }
    struct mmsghdr *mm = calloc(MAXB, sizeof *mm);
    struct iovec *iov = calloc(MAXB, sizeof *iov);
    unsigned char *bufs = calloc(MAXB, 2048);
    for (int i = 0; i < MAXB; i++) {
        iov[i].iov_base = bufs + (size_t)i * 2048; iov[i].iov_len = 2048;
        mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1;
    }
    double c0 = thread_cpu(); uint64_t w0 = now_ns();
    struct epoll_event evs[MAXEV];
    while (!rx_stop) {
        int ne = epoll_wait(ep, evs, MAXEV, 50);
        for (int e = 0; e < ne; e++) {
            int fd = socks[evs[e].data.u32];
            for (;;) {
                int r = recvmmsg(fd, mm, batch, MSG_DONTWAIT, NULL);
                if (r <= 0) break;
                uint64_t t = now_ns();
                for (int k = 0; k < r; k++) {
                    unsigned char *p = iov[k].iov_base;
                    rx_total++;
                    if (mm[k].msg_len >= 12) {
                        uint32_t ssrc = (uint32_t)p[8] << 24 | p[9] << 16 | p[10] << 8 | p[11];
                        uint32_t from = ssrc - 0x10000000u;
                        int len = mm[k].msg_len;
                        if (from < (uint32_t)nstreams && streams[from].rx &&
                            srtp_unprotect(streams[from].rx, p, &len) != srtp_err_status_ok) {
                            rx_srtp_fail++; rx_bad++; continue;
                        }
                        mm[k].msg_len = len;
                    }
                    if (mm[k].msg_len < 32 || memcmp(p + 12, "PBN1", 4)) { rx_bad++; continue; }
                    uint32_t sid, sq; uint64_t txns;
                    memcpy(&sid, p + 16, 4); memcpy(&sq, p + 20, 4); memcpy(&txns, p + 24, 8);
                    if (sid >= (uint32_t)nstreams) { rx_bad++; continue; }
                    if (rx_maxseq[sid] != UINT32_MAX && sq <= rx_maxseq[sid]) rx_reorder++;
                    if (rx_maxseq[sid] == UINT32_MAX || sq > rx_maxseq[sid]) rx_maxseq[sid] = sq;
                    if (txns < t_warm_ns) continue; /* warm-up packet */
                    rx_cnt[sid]++; rx_counted++;
                    uint64_t us = t > txns ? (t - txns) / 1000 : 0;
                    if (us > lat_max) lat_max = us;
                    if (us < HBUCK) hist[us]++;
                    else { lat_over++; if (us / 1000 < HBUCK_MS) hist_ms[us / 1000]++; }
                }
                if (r < batch) break;
            }
        }
    }
    cpu_rx_s = (thread_cpu() - c0) / ((now_ns() - w0) / 1e9) * duration; /* normalised to send duration */
    return NULL;
}

static uint64_t pct(double q, uint64_t n) {
    uint64_t want = (uint64_t)ceil(q * n), acc = 0;
    if (want == 0) want = 1;
    for (uint64_t i = 0; i < HBUCK; i++) { acc += hist[i]; if (acc >= want) return i; }
    for (uint64_t i = HBUCK / 1000; i < HBUCK_MS; i++) { acc += hist_ms[i]; if (acc >= want) return i * 1000; }
    return lat_max;
}

int main(int argc, char **argv) {
    int opt;
    struct rlimit nofile; /* per-stream sockets: allow as many as the hard limit permits */
    if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max; setrlimit(RLIMIT_NOFILE, &nofile);
    }
    while ((opt = getopt(argc, argv, "b:f:S:r:R:t:s:B:q:w:T:X:nW:D")) != -1) {
        switch (opt) {
        case 'b': {
            char ip[64]; int port;
            if (sscanf(optarg, "%63[^:]:%d", ip, &port) != 2) { fprintf(stderr, "bad -b\n"); return 2; }
            struct sockaddr_in a; if (parse_addr(ip, port, &a)) { fprintf(stderr, "bad ip\n"); return 2; }
            open_sock(&a, 64 << 20, 16 << 20); break; }
        case 'f': {
            FILE *f = fopen(optarg, "r"); if (!f) { perror(optarg); return 2; }
            char line[512], src[80], ip[64]; int port, lineno = 0, used = 0;
            while (fgets(line, sizeof line, f)) {
                lineno++;
                if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0) continue;
                if (sscanf(line, "%79s %63s %d%n", src, ip, &port, &used) != 3) { fprintf(stderr, "%s:%d: bad line\n", optarg, lineno); return 2; }
                char sip[64]; int sport;
                if (strchr(src, ':')) {
                    if (sscanf(src, "%63[^:]:%d", sip, &sport) != 2) { fprintf(stderr, "%s:%d: bad source\n", optarg, lineno); return 2; }
                    add_stream(src_sock(sip, sport), ip, port);
                } else add_stream(atoi(src), ip, port);
                for (char *tok = strtok(line + used, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
                    if (!strncmp(tok, "tx=", 3)) streams[nstreams - 1].tx = make_srtp(tok + 3, 0);
                    else if (!strncmp(tok, "rx=", 3)) streams[nstreams - 1].rx = make_srtp(tok + 3, 1);
                    else { fprintf(stderr, "%s:%d: unknown option %s\n", optarg, lineno, tok); return 2; }
                }
            }
            fclose(f); break; }
        case 'S': {
            int s, port, cnt; char ip[64];
            if (sscanf(optarg, "%d:%63[^:]:%d:%d", &s, ip, &port, &cnt) != 4) { fprintf(stderr, "bad -S\n"); return 2; }
            for (int i = 0; i < cnt; i++) add_stream(s, ip, port);
            break; }
        case 'r': pps_per_stream = atof(optarg); break;
        case 'R': total_pps = atof(optarg); break;
        case 't': duration = atof(optarg); break;
        case 's': psize = atoi(optarg); break;
        case 'B': batch = atoi(optarg); if (batch > MAXB) batch = MAXB; break;
        case 'q': tick_us = atoi(optarg); break;
        case 'w': drain_ms = atoi(optarg); break;
        case 'T': cpu_tx = atoi(optarg); break;
        case 'X': cpu_rx = atoi(optarg); break;
        case 'n': no_rx = 1; break;
        case 'D': no_rx = 1; drop_sink = 1; break;
        case 'W': warmup = atof(optarg); break;
        default: fprintf(stderr, "see source header for usage\n"); return 2;
        }
    }
    if (duration <= 0 || duration > 600 || nstreams == 0 || nsock == 0 || psize < 32) {
        fprintf(stderr, "need -t (<=600), at least one -b and one stream; -s >= 32\n"); return 2;
    }
    if (drop_sink) {
        struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
        struct sock_fprog prog = {.len = 1, .filter = code};
        for (int i = 0; i < nsock; i++)
            if (setsockopt(socks[i], SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog)) { perror("SO_ATTACH_FILTER"); return 2; }
    }
    tx_seq_counted_from = calloc(nstreams, 4); tx_seq_end = calloc(nstreams, 4);
    rx_cnt = calloc(nstreams, 8); rx_maxseq = malloc(nstreams * 4); hist = calloc(HBUCK, 8); hist_ms = calloc(HBUCK_MS, 8);
    for (int i = 0; i < nstreams; i++) rx_maxseq[i] = UINT32_MAX;
    signal(SIGPIPE, SIG_IGN);
    t_start_ns = now_ns() + 20000000ull; /* start in 20 ms */
    t_warm_ns = t_start_ns + (uint64_t)(warmup * 1e9);
    pthread_t rt, tt;
    if (!no_rx) pthread_create(&rt, NULL, rx_thread, NULL);
    while (now_ns() < t_start_ns) usleep(1000);
    pthread_create(&tt, NULL, tx_thread, NULL);
    pthread_join(tt, NULL);
    if (!no_rx) { usleep(drain_ms * 1000); rx_stop = 1; pthread_join(rt, NULL); }
    double rate = total_pps > 0 ? total_pps : pps_per_stream * nstreams;
    uint64_t expect = 0;
    for (int i = 0; i < nstreams; i++) expect += tx_seq_end[i] - tx_seq_counted_from[i];
    double meas = duration - warmup;
    if (drop_sink) printf("drop-sink mode: no receive accounting here\n");
    printf("rtpgen streams=%d socks=%d target_pps=%.0f duration=%.1fs warmup=%.1fs size=%d batch=%d\n",
           nstreams, nsock, rate, duration, warmup, psize, batch);
    printf("tx_total=%llu tx_pps=%.0f tx_max_backlog=%llu pkts tx_skipped=%llu%s\n", (unsigned long long)tx_total,
           tx_total / duration, (unsigned long long)tx_late_max, (unsigned long long)tx_skipped,
           tx_skipped > rate * duration * 0.001 ? " GENERATOR-SATURATED(>0.1% of slots skipped)" : "");
    if (!no_rx) {
        uint64_t lost = expect > rx_counted ? expect - rx_counted : 0;
        int streams_with_loss = 0;
        for (int i = 0; i < nstreams; i++)
            if (rx_cnt[i] < (uint64_t)(tx_seq_end[i] - tx_seq_counted_from[i])) streams_with_loss++;
        printf("measured: expect=%llu rx=%llu lost=%llu loss_pct=%.4f%% rx_pps=%.0f streams_with_loss=%d rx_total=%llu bad=%llu reorder=%llu srtp_fail=%llu\n",
               (unsigned long long)expect, (unsigned long long)rx_counted, (unsigned long long)lost,
               expect ? 100.0 * lost / expect : 0.0, rx_counted / meas, streams_with_loss,
               (unsigned long long)rx_total, (unsigned long long)rx_bad, (unsigned long long)rx_reorder,
               (unsigned long long)rx_srtp_fail);
        printf("latency_us p50=%llu p99=%llu p99.9=%llu max=%llu (over100ms=%llu)\n",
               (unsigned long long)pct(0.5, rx_counted), (unsigned long long)pct(0.99, rx_counted),
               (unsigned long long)pct(0.999, rx_counted), (unsigned long long)lat_max, (unsigned long long)lat_over);
    }
    printf("gen_cpu tx_thread=%.1f%% rx_thread=%.1f%% (of one core, over send duration)\n",
           100.0 * cpu_tx_s / duration, 100.0 * cpu_rx_s / duration);
    return 0;
}
