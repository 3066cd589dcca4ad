// CSBCLinux: the Linux syscalls and macros that `import Glibc` does not surface to Swift.
//
// Everything is prefixed `csbc_` so it can never collide with whatever Glibc exports in a later
// toolchain. Functions that wrap real syscalls live in shim.c (compiled with _GNU_SOURCE); things
// that are macros in C (CMSG_*, sigset helpers, epoll flag values) are exposed as constants or
// `static inline` functions so Swift sees plain typed symbols.
#ifndef CSBC_LINUX_H
#define CSBC_LINUX_H

#ifdef __linux__

#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <signal.h>
#include <time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

// MARK: - epoll

/// Mirror of `struct epoll_event`. The kernel struct is packed on x86_64, which Swift imports
/// awkwardly; this layout-compatible twin is copied field-wise inside shim.c.
typedef struct {
    uint32_t events;
    uint64_t data;
} csbc_epoll_event;

extern const uint32_t CSBC_EPOLLIN;
extern const uint32_t CSBC_EPOLLOUT;
extern const uint32_t CSBC_EPOLLERR;
extern const uint32_t CSBC_EPOLLHUP;
extern const uint32_t CSBC_EPOLLRDHUP;
extern const uint32_t CSBC_EPOLLET;
extern const int CSBC_EPOLL_CTL_ADD;
extern const int CSBC_EPOLL_CTL_MOD;
extern const int CSBC_EPOLL_CTL_DEL;

int csbc_epoll_create(void);
int csbc_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits for events; `events` holds at least `maxevents` entries (at most 64 are filled per call).
int csbc_epoll_wait(int epfd, csbc_epoll_event *events, int maxevents, int timeout_ms);

// MARK: - eventfd / timerfd / signalfd

/// Nonblocking, close-on-exec eventfd.
int csbc_eventfd(unsigned int initval);
/// Reads the counter, resetting it. Returns -1 with errno EAGAIN when zero.
int csbc_eventfd_read(int fd, uint64_t *value);
int csbc_eventfd_write(int fd, uint64_t value);

/// Nonblocking, close-on-exec CLOCK_MONOTONIC timerfd.
int csbc_timerfd_create(void);
/// Arms a one-shot timer at an absolute CLOCK_MONOTONIC deadline in nanoseconds; 0 disarms.
int csbc_timerfd_settime(int fd, uint64_t deadline_ns);
/// Drains the expiration counter.
int csbc_timerfd_read(int fd, uint64_t *expirations);

/// Blocks `signals` (count entries) in the calling thread; threads created afterwards inherit the mask.
int csbc_block_signals(const int *signals, int count);
/// Unblocks `signals` in the calling thread.
int csbc_unblock_signals(const int *signals, int count);
/// Nonblocking, close-on-exec signalfd for `signals`; the signals must already be blocked.
int csbc_signalfd(const int *signals, int count);
/// Reads one pending siginfo; returns the signal number, 0 if none pending, -1 on error.
int csbc_signalfd_read(int fd);

// MARK: - clock

uint64_t csbc_monotonic_now_ns(void);

// MARK: - batched datagram I/O

/// One preallocated datagram slot of a batch. The shim fills `msghdr`/`iovec` from these fields
/// so Swift never has to build the nested C structures (and their CMSG control buffers) itself.
typedef struct {
    void *buffer;               // caller-owned payload storage
    size_t capacity;            // bytes available in buffer
    size_t length;              // out (recv): bytes received; in (send): bytes to send
    struct sockaddr_storage address;  // out (recv): source; in (send): destination
    socklen_t address_length;
    int truncated;              // out (recv): MSG_TRUNC was set
    int has_pktinfo;            // out (recv): local destination address present
    struct in_addr pktinfo_addr; // out (recv): IPv4 destination address (IP_PKTINFO)
    unsigned int pktinfo_ifindex;
    int has_received_ns;        // out (recv): kernel receive time present (SO_TIMESTAMPNS on)
    uint64_t received_ns;       // out (recv): kernel receive time on the CLOCK_MONOTONIC scale
} csbc_datagram;

/// Opaque per-batch state (mmsghdr, iovec and control buffers) allocated once per socket.
typedef struct csbc_mmsg_batch csbc_mmsg_batch;

csbc_mmsg_batch *csbc_mmsg_batch_create(csbc_datagram *slots, int count);
void csbc_mmsg_batch_destroy(csbc_mmsg_batch *batch);

/// recvmmsg into the batch's slots (nonblocking). Returns messages received or -1/errno.
int csbc_recvmmsg(int fd, csbc_mmsg_batch *batch, int count);
/// sendmmsg of the first `count` slots. Returns messages sent or -1/errno.
int csbc_sendmmsg(int fd, csbc_mmsg_batch *batch, int count);

/// Turns on IP_PKTINFO (and IPV6_RECVPKTINFO for AF_INET6) so receives report the local address.
int csbc_enable_pktinfo(int fd, int family);
/// Turns on SO_TIMESTAMPNS so receives report when the kernel received each datagram
/// (`received_ns`): how long it waited in the socket before the application read it.
int csbc_enable_receive_timestamps(int fd);

/// One entry of a socket's error queue (IP_RECVERR): an ICMP error tied to the datagram that
/// caused it, so an unconnected UDP socket can tell *which* destination is unreachable.
typedef struct {
    struct sockaddr_storage destination;  // original destination of the failed datagram
    socklen_t destination_length;
    int error;                            // errno value, e.g. ECONNREFUSED, EHOSTUNREACH
    uint8_t origin;                       // SO_EE_ORIGIN_*
    uint8_t icmp_type;
    uint8_t icmp_code;
    int has_offender;                     // offender = router/host that sent the ICMP
    struct sockaddr_storage offender;
} csbc_socket_error_info;

/// `csbc_socket_error_info.origin` of an entry an ICMP (ICMPv6) message caused, as opposed to
/// one the local stack raised itself (SO_EE_ORIGIN_LOCAL, e.g. a datagram over the path MTU).
extern const uint8_t CSBC_SO_EE_ORIGIN_ICMP;
extern const uint8_t CSBC_SO_EE_ORIGIN_ICMP6;

/// The errnos ICMP destination-unreachable messages become (port: ECONNREFUSED; host, network,
/// unknown host: EHOSTUNREACH, ENETUNREACH, EHOSTDOWN). With IP_RECVERR the latest one is also
/// left pending on the socket and fails its next receive or send once.
static inline int csbc_is_unreachable_errno(int error) {
    return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH || error == EHOSTDOWN;
}

/// Turns on IP_RECVERR / IPV6_RECVERR. Without it Linux silently drops ICMP errors for
/// unconnected UDP sockets, and carrier failover would have to wait for a SIP timeout.
int csbc_enable_recverr(int fd, int family);
/// One nonblocking recvmsg(MSG_ERRQUEUE). Returns 1 when `info` was filled, or -1 with errno
/// (EAGAIN: the queue is empty; EINTR is left to the caller, i.e. `Syscall.retrying`).
int csbc_recv_error_queue(int fd, csbc_socket_error_info *info);

// MARK: - sockets

/// Nonblocking, close-on-exec socket.
int csbc_socket(int family, int type);
int csbc_accept(int fd, struct sockaddr_storage *address, socklen_t *length);
int csbc_set_int_option(int fd, int level, int name, int value);
int csbc_get_int_option(int fd, int level, int name, int *value);
/// Reads and clears SO_ERROR (the outcome of a nonblocking connect or an async ICMP error).
int csbc_socket_error(int fd);
ssize_t csbc_send_nosignal(int fd, const void *bytes, size_t length);
ssize_t csbc_sendto(int fd, const void *bytes, size_t length,
                    const struct sockaddr_storage *address, socklen_t address_length);

// MARK: - threads

/// Names the calling thread (max 15 bytes) for top -H, gdb and core dumps.
int csbc_set_thread_name(const char *name);

// MARK: - errno

int csbc_errno(void);

/// Heap bytes currently allocated (glibc mallinfo2 uordblks), for memory benchmarks.
size_t csbc_heap_bytes_in_use(void);
/// glibc malloc_trim(0): gives freed heap at the top and in whole free pages back to the kernel,
/// so RSS falls after a storm. Returns 1 when memory was released.
int csbc_malloc_trim(void);
void csbc_set_errno(int value);

// The media relay's batch I/O (relay.c).
#include "CSBCRelay.h"

#endif // __linux__
#endif // CSBC_LINUX_H
