// srtpcost.c - libsrtp2's own cost per packet on this host, for the media bench's SRTP steps.
//
// Build: gcc -O2 -Wall -o srtpcost srtpcost.c $(pkg-config --cflags --libs libsrtp2)
// Usage: srtpcost SUITE [CALLS] [PACKETS] [PAYLOAD_BYTES]
//   SUITE: AES_CM_128_HMAC_SHA1_80 | AEAD_AES_128_GCM. Does what a relay bridging SRTP on one
//   side to RTP on the other does for CALLS calls (default 1), and nothing else: each call has an
//   outbound session (protects what goes to the SRTP party) and an inbound one (unprotects what it
//   sends), and PACKETS (default 200000) packets of PAYLOAD_BYTES (default 172, header included)
//   go round-robin over the calls, alternately protected and unprotected, so 2 x CALLS sessions
//   are in use at once, as in the relay. Prints "srtpcost suite=... calls=... mean_us=...": the
//   CPU (CLOCK_PROCESS_CPUTIME_ID) per packet, i.e. what the bridge must add per relayed packet
//   to a plain relay's cost at the very least: issue 10's "libsrtp2's own per-packet cost".
//
//   Why CALLS: with Debian's NSS-backed libsrtp2 the cost per packet grows with the number of
//   sessions in use (on the bench VM, AES-CM: ~2.5 us with one call, ~11 us with 400; GCM ~0.8 to
//   ~4 us), so a one-session loop understates what a relay carrying hundreds of calls pays.
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void) {
    struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void rtp(unsigned char *b, int size, int seq, int call) {
    memset(b, 0x5a, (size_t)size);
    b[0] = 0x80; b[1] = 0; b[2] = (unsigned char)(seq >> 8); b[3] = (unsigned char)seq;
    b[8] = 0x10; b[9] = (unsigned char)(call >> 16); b[10] = (unsigned char)(call >> 8); b[11] = (unsigned char)call;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: srtpcost SUITE [CALLS] [PACKETS] [PAYLOAD_BYTES]\n"); return 2; }
    int calls = argc > 2 ? atoi(argv[2]) : 1, packets = argc > 3 ? atoi(argv[3]) : 200000;
    int size = argc > 4 ? atoi(argv[4]) : 172;
    if (size < 12 || size > 1500 || packets <= 0 || calls <= 0 || calls > 100000) { fprintf(stderr, "bad arguments\n"); return 2; }
    if (srtp_init() != srtp_err_status_ok) { fprintf(stderr, "srtp_init failed\n"); return 2; }
    srtp_policy_t p; memset(&p, 0, sizeof p);
    if (!strcmp(argv[1], "AES_CM_128_HMAC_SHA1_80")) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp); srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    } else if (!strcmp(argv[1], "AEAD_AES_128_GCM")) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp); srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    } else { fprintf(stderr, "unsupported suite %s\n", argv[1]); return 2; }
    unsigned char key[64]; for (int i = 0; i < 64; i++) key[i] = (unsigned char)(i * 7 + 1);
    p.key = key;
    /* per call: out (the relay's outbound), in (the relay's inbound) and party (the SRTP party's
       sender, which prepares what `in` unprotects; idle while timing) */
    srtp_t *out = malloc(sizeof(srtp_t) * (size_t)calls), *in = malloc(sizeof(srtp_t) * (size_t)calls);
    srtp_t *party = malloc(sizeof(srtp_t) * (size_t)calls);
    int half = (packets + 1) / 2;
    size_t stride = ((size_t)size + 160 + 15) & ~(size_t)15;
    unsigned char *wire = aligned_alloc(64, stride * (size_t)half), *fresh = aligned_alloc(64, stride);
    int *lengths = malloc(sizeof(int) * (size_t)half);
    if (!out || !in || !party || !wire || !fresh || !lengths) { fprintf(stderr, "out of memory\n"); return 2; }
    for (int c = 0; c < calls; c++) {
        p.ssrc.type = ssrc_any_outbound; if (srtp_create(&out[c], &p) || srtp_create(&party[c], &p)) return 1;
        p.ssrc.type = ssrc_any_inbound; if (srtp_create(&in[c], &p)) return 1;
    }
    for (int i = 0; i < half; i++) {   /* what the party sends, protected beforehand (not timed) */
        unsigned char *b = wire + stride * (size_t)i;
        rtp(b, size, i / calls, i % calls);
        lengths[i] = size;
        if (srtp_protect(party[i % calls], b, &lengths[i])) { fprintf(stderr, "protect failed at %d\n", i); return 1; }
    }
    double t0 = cpu_now();
    for (int i = 0; i < half; i++) {
        int c = i % calls, length = size;
        if (srtp_unprotect(in[c], wire + stride * (size_t)i, &lengths[i])) { fprintf(stderr, "unprotect failed at %d\n", i); return 1; }
        rtp(fresh, size, i / calls, c);
        if (srtp_protect(out[c], fresh, &length)) { fprintf(stderr, "protect failed at %d\n", i); return 1; }
    }
    double t1 = cpu_now();
    printf("srtpcost suite=%s calls=%d packets=%d size=%d mean_us=%.2f\n", argv[1], calls, 2 * half, size,
           (t1 - t0) * 1e6 / (2.0 * half));
    return 0;
}
