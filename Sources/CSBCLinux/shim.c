// _GNU_SOURCE must precede every include: recvmmsg/sendmmsg, struct in_pktinfo and the
// accept4/SOCK_* flags are only declared by glibc when it is set.
#define _GNU_SOURCE 1

#include "CSBCLinux.h"

#ifdef __linux__

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

const uint32_t CSBC_EPOLLIN = EPOLLIN;
const uint32_t CSBC_EPOLLOUT = EPOLLOUT;
const uint32_t CSBC_EPOLLERR = EPOLLERR;
const uint32_t CSBC_EPOLLHUP = EPOLLHUP;
const uint32_t CSBC_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t CSBC_EPOLLET = EPOLLET;
const int CSBC_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int CSBC_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int CSBC_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const uint8_t CSBC_SO_EE_ORIGIN_ICMP = SO_EE_ORIGIN_ICMP;
const uint8_t CSBC_SO_EE_ORIGIN_ICMP6 = SO_EE_ORIGIN_ICMP6;

// MARK: - epoll

int csbc_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int csbc_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int csbc_epoll_wait(int epfd, csbc_epoll_event *events, int maxevents, int timeout_ms) {
    // The kernel struct is packed on x86_64; collect into it, then widen into the caller's array.
    enum { chunk = 64 };
    struct epoll_event raw[chunk];
    if (maxevents > chunk) maxevents = chunk;
    int n = epoll_wait(epfd, raw, maxevents, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i].events = raw[i].events;
        events[i].data = raw[i].data.u64;
    }
    return n;
}

// MARK: - eventfd

int csbc_eventfd(unsigned int initval) {
    return eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC);
}

int csbc_eventfd_read(int fd, uint64_t *value) {
    return eventfd_read(fd, value);
}

int csbc_eventfd_write(int fd, uint64_t value) {
    return eventfd_write(fd, value);
}

// MARK: - timerfd

int csbc_timerfd_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

int csbc_timerfd_settime(int fd, uint64_t deadline_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof(spec));
    // An all-zero it_value disarms: that is exactly what deadline 0 means.
    spec.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
    spec.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

int csbc_timerfd_read(int fd, uint64_t *expirations) {
    ssize_t n = read(fd, expirations, sizeof(*expirations));
    return n == (ssize_t)sizeof(*expirations) ? 0 : -1;
}

// MARK: - signals

static int fill_sigset(sigset_t *set, const int *signals, int count) {
    if (sigemptyset(set) != 0) return -1;
    for (int i = 0; i < count; i++) {
        if (sigaddset(set, signals[i]) != 0) return -1;
    }
    return 0;
}

int csbc_block_signals(const int *signals, int count) {
    sigset_t set;
    if (fill_sigset(&set, signals, count) != 0) return -1;
    int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rc != 0) { errno = rc; return -1; }
    return 0;
}

int csbc_unblock_signals(const int *signals, int count) {
    sigset_t set;
    if (fill_sigset(&set, signals, count) != 0) return -1;
    int rc = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (rc != 0) { errno = rc; return -1; }
    return 0;
}

int csbc_signalfd(const int *signals, int count) {
    sigset_t set;
    if (fill_sigset(&set, signals, count) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int csbc_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    if (n == (ssize_t)sizeof(info)) return (int)info.ssi_signo;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

// MARK: - clock

uint64_t csbc_monotonic_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// MARK: - batched datagram I/O

// Room for one IPv4 or IPv6 pktinfo control message and a receive timestamp.
#define CSBC_CONTROL_LEN (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) \
                          + CMSG_SPACE(sizeof(struct timespec)))

struct csbc_mmsg_batch {
    int count;
    csbc_datagram *slots;
    struct mmsghdr *headers;
    struct iovec *iovecs;
    char *control;
};

csbc_mmsg_batch *csbc_mmsg_batch_create(csbc_datagram *slots, int count) {
    if (count <= 0) { errno = EINVAL; return NULL; }
    csbc_mmsg_batch *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->count = count;
    b->slots = slots;
    b->headers = calloc((size_t)count, sizeof(struct mmsghdr));
    b->iovecs = calloc((size_t)count, sizeof(struct iovec));
    b->control = calloc((size_t)count, CSBC_CONTROL_LEN);
    if (!b->headers || !b->iovecs || !b->control) {
        csbc_mmsg_batch_destroy(b);
        errno = ENOMEM;
        return NULL;
    }
    return b;
}

void csbc_mmsg_batch_destroy(csbc_mmsg_batch *batch) {
    if (!batch) return;
    free(batch->headers);
    free(batch->iovecs);
    free(batch->control);
    free(batch);
}

int csbc_recvmmsg(int fd, csbc_mmsg_batch *b, int count) {
    if (count > b->count) count = b->count;
    for (int i = 0; i < count; i++) {
        csbc_datagram *s = &b->slots[i];
        b->iovecs[i].iov_base = s->buffer;
        b->iovecs[i].iov_len = s->capacity;
        struct msghdr *h = &b->headers[i].msg_hdr;
        h->msg_name = &s->address;
        h->msg_namelen = sizeof(s->address);
        h->msg_iov = &b->iovecs[i];
        h->msg_iovlen = 1;
        h->msg_control = b->control + (size_t)i * CSBC_CONTROL_LEN;
        h->msg_controllen = CSBC_CONTROL_LEN;
        h->msg_flags = 0;
        b->headers[i].msg_len = 0;
    }
    int n = recvmmsg(fd, b->headers, (unsigned int)count, MSG_DONTWAIT, NULL);
    // Kernel timestamps are CLOCK_REALTIME: moved onto the monotonic scale with one offset per
    // batch, read only when a timestamp is present.
    int64_t realtime_minus_monotonic = 0;
    int have_offset = 0;
    for (int i = 0; i < n; i++) {
        csbc_datagram *s = &b->slots[i];
        struct msghdr *h = &b->headers[i].msg_hdr;
        s->length = b->headers[i].msg_len;
        s->address_length = h->msg_namelen;
        s->truncated = (h->msg_flags & MSG_TRUNC) != 0;
        s->has_pktinfo = 0;
        s->has_received_ns = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec stamp;
                memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
                if (!have_offset) {
                    struct timespec real, mono;
                    clock_gettime(CLOCK_REALTIME, &real);
                    clock_gettime(CLOCK_MONOTONIC, &mono);
                    realtime_minus_monotonic = ((int64_t)real.tv_sec - (int64_t)mono.tv_sec) * 1000000000ll
                                               + ((int64_t)real.tv_nsec - (int64_t)mono.tv_nsec);
                    have_offset = 1;
                }
                int64_t received = (int64_t)stamp.tv_sec * 1000000000ll + (int64_t)stamp.tv_nsec
                                   - realtime_minus_monotonic;
                s->received_ns = received > 0 ? (uint64_t)received : 0;
                s->has_received_ns = 1;
                continue;
            }
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo info;
                memcpy(&info, CMSG_DATA(c), sizeof(info));
                s->pktinfo_addr = info.ipi_addr;
                s->pktinfo_ifindex = (unsigned int)info.ipi_ifindex;
                s->has_pktinfo = 1;
            }
        }
    }
    return n;
}

int csbc_sendmmsg(int fd, csbc_mmsg_batch *b, int count) {
    if (count > b->count) count = b->count;
    for (int i = 0; i < count; i++) {
        csbc_datagram *s = &b->slots[i];
        b->iovecs[i].iov_base = s->buffer;
        b->iovecs[i].iov_len = s->length;
        struct msghdr *h = &b->headers[i].msg_hdr;
        memset(h, 0, sizeof(*h));
        h->msg_name = &s->address;
        h->msg_namelen = s->address_length;
        h->msg_iov = &b->iovecs[i];
        h->msg_iovlen = 1;
    }
    return sendmmsg(fd, b->headers, (unsigned int)count, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int csbc_enable_pktinfo(int fd, int family) {
    int on = 1;
    if (family == AF_INET6) {
        return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
    }
    return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
}

int csbc_enable_receive_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

int csbc_enable_recverr(int fd, int family) {
    int on = 1;
    if (family == AF_INET6) {
        return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
    }
    return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
}

int csbc_recv_error_queue(int fd, csbc_socket_error_info *info) {
    char payload[64];  // the kernel returns the offending datagram; its head is enough
    char control[512];
    struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
    struct msghdr h;
    memset(&h, 0, sizeof(h));
    memset(info, 0, sizeof(*info));
    h.msg_name = &info->destination;
    h.msg_namelen = sizeof(info->destination);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = control;
    h.msg_controllen = sizeof(control);
    if (recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return -1;
    info->destination_length = h.msg_namelen;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c != NULL; c = CMSG_NXTHDR(&h, c)) {
        int v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
        int v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4 && !v6) continue;
        struct sock_extended_err ee;
        memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        info->error = (int)ee.ee_errno;
        info->origin = ee.ee_origin;
        info->icmp_type = ee.ee_type;
        info->icmp_code = ee.ee_code;
        const struct sockaddr *off = SO_EE_OFFENDER((struct sock_extended_err *)CMSG_DATA(c));
        if (off->sa_family == AF_INET) {
            memcpy(&info->offender, off, sizeof(struct sockaddr_in));
            info->has_offender = 1;
        } else if (off->sa_family == AF_INET6) {
            memcpy(&info->offender, off, sizeof(struct sockaddr_in6));
            info->has_offender = 1;
        }
    }
    return 1;
}

// MARK: - sockets

int csbc_socket(int family, int type) {
    return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int csbc_accept(int fd, struct sockaddr_storage *address, socklen_t *length) {
    *length = sizeof(*address);
    return accept4(fd, (struct sockaddr *)address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int csbc_set_int_option(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value));
}

int csbc_get_int_option(int fd, int level, int name, int *value) {
    socklen_t len = sizeof(*value);
    return getsockopt(fd, level, name, value, &len);
}

int csbc_socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

ssize_t csbc_send_nosignal(int fd, const void *bytes, size_t length) {
    return send(fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT);
}

ssize_t csbc_sendto(int fd, const void *bytes, size_t length,
                    const struct sockaddr_storage *address, socklen_t address_length) {
    return sendto(fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT,
                  (const struct sockaddr *)address, address_length);
}

// MARK: - threads

int csbc_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

// MARK: - errno

int csbc_errno(void) { return errno; }
void csbc_set_errno(int value) { errno = value; }

#endif // __linux__

/* Bytes the allocator has handed out and not had back: unlike RSS it shrinks when memory is
 * freed, so benchmarks can measure what live state costs. */
size_t csbc_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks;
}

int csbc_malloc_trim(void) {
    return malloc_trim(0);
}
