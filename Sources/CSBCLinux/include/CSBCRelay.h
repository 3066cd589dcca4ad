// CSBCRelay: the media relay's batched datagram path.
//
// The relay forwards packets unchanged, so a batch is received into fixed slots and the same
// buffers are sent on (zero copy). Swift sees each received datagram as a flat
// `csbc_relay_packet` (source already decoded to integers) and only has to point it at a
// destination; building mmsghdr/iovec/sockaddr structures per packet stays in C.
#ifndef CSBC_RELAY_H
#define CSBC_RELAY_H

#ifdef __linux__

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

/// Where (and from which socket) a relayed packet goes. Kept per leg by the relay and pointed
/// at by packets, so a destination is encoded once per change, not once per packet.
typedef struct {
    int32_t fd;                  // socket to send from; -1 = no destination
    uint32_t address_length;     // 0 = no destination
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } address;
} csbc_relay_destination;

/// One datagram of a receive batch.
typedef struct {
    uint8_t *data;               // the slot's buffer (stable for the batch's life)
    uint32_t length;             // bytes received
    uint16_t source_port;        // host order
    uint16_t truncated;          // MSG_TRUNC: larger than the slot (never relayed)
    uint16_t destination_port;   // host order; csbc_relay_recv_lookup only (IP_ORIGDSTADDR), else 0
    uint16_t sent;               // set by csbc_relay_send: 1 when this packet went out
    uint64_t source_high;        // source IP, bytes 0-7 big-endian (IPv4 is IPv4-mapped)
    uint64_t source_low;         // bytes 8-15
    const csbc_relay_destination *destination;  // set by the caller; NULL = drop
} csbc_relay_packet;

typedef struct csbc_relay_batch csbc_relay_batch;

/// Bytes at the end of every slot that receives never fill: room for SRTP's trailer
/// (SRTP_MAX_TRAILER_LEN is 144), rounded up to keep slots 16-byte aligned.
#define CSBC_RELAY_TAIL_ROOM 160

/// A batch of `count` slots of `slot_bytes` each (rounded up to 16; more than the tail room).
/// NULL with errno on failure.
csbc_relay_batch *csbc_relay_batch_create(int count, size_t slot_bytes);
void csbc_relay_batch_destroy(csbc_relay_batch *batch);
/// The batch's packet array (count entries), valid until destroy.
csbc_relay_packet *csbc_relay_batch_packets(csbc_relay_batch *batch);
int csbc_relay_batch_count(const csbc_relay_batch *batch);

/// One nonblocking recvmmsg into every slot. Returns datagrams received (destinations reset to
/// NULL), 0 when none were waiting (EAGAIN), or -1 with errno. Retries EINTR.
int csbc_relay_recv(int fd, csbc_relay_batch *batch);

/// csbc_relay_recv for a receive socket fed by sk_lookup (csbc_lookup_socket_open): also sets
/// each packet's destination_port from IP_ORIGDSTADDR (0 when the kernel gave none).
int csbc_relay_recv_lookup(int fd, csbc_relay_batch *batch);

/// Sends the first `count` packets that have a destination, one sendmmsg per distinct source
/// socket (or, after csbc_relay_batch_enable_uring, one io_uring_enter per batch), from the
/// receive buffers. A packet the kernel refuses is skipped (after one retry
/// when the refusal is an ICMP error left pending by an earlier datagram, see relay.c); a full
/// socket buffer (EAGAIN/ENOBUFS) drops the rest for that socket. Returns packets sent and adds
/// their bytes to *bytes_sent; each of the `count` packets' `sent` says whether it went out.
int csbc_relay_send(csbc_relay_batch *batch, int count, uint64_t *bytes_sent);

/// Gives the batch an io_uring ring of (at least) `entries` submission entries, set up with raw
/// syscalls (no liburing), after which csbc_relay_send submits one IORING_OP_SENDMSG per packet
/// and the whole batch in one io_uring_enter (in chunks of the ring's size when the batch is
/// larger), instead of one sendmmsg per distinct source socket; with a socket per port that is
/// one syscall per batch instead of one per packet. The contract of csbc_relay_send is the same.
/// The ring may be used from any one thread at a time (the batch is not thread-safe anyway).
/// Returns 0, or -1 with errno and the batch left sending by sendmmsg: ENOSYS (no io_uring, or no
/// <linux/io_uring.h> at build time), EPERM (kernel.io_uring_disabled, seccomp, a container's
/// policy), EOPNOTSUPP (a kernel without IORING_OP_SENDMSG), ENOMEM, EEXIST (already enabled).
int csbc_relay_batch_enable_uring(csbc_relay_batch *batch, unsigned entries);
/// The ring's submission entries (a power of two the kernel picked, >= what was asked for), or 0
/// when the batch sends by sendmmsg. After a ring failure at run time (see relay.c) this is 0 too.
unsigned csbc_relay_batch_uring_entries(const csbc_relay_batch *batch);

/// Encodes `ip` (16 bytes as high/low, IPv4-mapped for IPv4) and `port` for sending from `fd`,
/// whose address family is `family`. Returns 0, or -1 when the address cannot be reached from
/// that family (IPv6 from an IPv4 socket); the destination is then cleared.
int csbc_relay_destination_set(csbc_relay_destination *destination, int fd, int family,
                               uint64_t high, uint64_t low, uint16_t port);
void csbc_relay_destination_clear(csbc_relay_destination *destination);
/// 1 when `address` (e.g. the original destination an ICMP error names) is where `destination`
/// sends: same family, IP and port; 0 otherwise, and always for a cleared destination.
int csbc_relay_destination_matches(const csbc_relay_destination *destination,
                                   const struct sockaddr_storage *address, socklen_t length);

/// Sends one datagram of `length` bytes at `data` from the destination's socket to its address
/// (packets the relay makes itself, such as injected RFC 4733 events). Returns bytes sent, or -1
/// with errno (also for a cleared destination). Nonblocking; retries EINTR, and once an ICMP
/// error left pending on the socket.
ssize_t csbc_relay_send_one(const csbc_relay_destination *destination, const void *data, size_t length);

/// A nonblocking, close-on-exec UDP socket bound to `address`, with SO_RCVBUF/SO_SNDBUF set to
/// `buffer_bytes` (best effort: the kernel caps them). Returns the fd or -1 with errno; nothing
/// is left open on failure.
int csbc_relay_open_udp(const struct sockaddr *address, socklen_t length, int buffer_bytes);

// ---- sk_lookup steering (media.socket_layout: lookup) ----
//
// One receive socket per worker gets every IPv4 UDP packet for the relay's addresses and the
// ports its worker holds: a BPF_PROG_TYPE_SK_LOOKUP program, linked to the network namespace,
// looks the destination port up in an ARRAY map (index port - port_min, value: worker, or
// CSBC_LOOKUP_NO_WORKER) and bpf_sk_assign()s the packet to that worker's socket in a SOCKMAP
// (index: worker). Anything else (other protocols, families, addresses, ports, unmapped ports)
// goes on to the kernel's normal lookup. Needs CAP_BPF + CAP_NET_ADMIN and Linux 5.9+.

#define CSBC_LOOKUP_NO_WORKER 0xFFFFFFFFu

/// Creates the port map (`ports` entries, all CSBC_LOOKUP_NO_WORKER) and the SOCKMAP (`workers`
/// entries). 0, or -1 with errno (nothing left open).
int csbc_lookup_maps_create(uint32_t ports, uint32_t workers, int *port_map, int *sock_map);
/// Sets port map entry `index` to `worker` (CSBC_LOOKUP_NO_WORKER: unmapped). 0 or -1 with errno.
int csbc_lookup_port_set(int port_map, uint32_t index, uint32_t worker);
/// Puts receive socket `fd` in SOCKMAP slot `worker`. 0 or -1 with errno.
int csbc_lookup_sockmap_set(int sock_map, uint32_t worker, int fd);
/// A nonblocking IPv4 UDP receive socket with IP_RECVORIGDSTADDR, IP_RECVERR (ICMP errors for
/// datagrams the steered port sockets sent are delivered to it) and a receive buffer of
/// `buffer_bytes` (SO_RCVBUFFORCE, else SO_RCVBUF), bound to `address_be` (network order) on an
/// ephemeral port outside [avoid_min, avoid_max] (the relay's own range). fd or -1 with errno.
int csbc_lookup_socket_open(uint32_t address_be, int buffer_bytes, uint16_t avoid_min, uint16_t avoid_max);
/// Loads the program for UDP/IPv4 to one of `addresses_be` (network order; count 0: any local
/// address) and ports port_min..port_max, and links it to this thread's network namespace.
/// Returns the link fd (closing it detaches) and the program's in *prog_fd, or -1 with errno;
/// the verifier's log goes to `log` (may be NULL) when loading fails.
int csbc_lookup_attach(int port_map, int sock_map, const uint32_t *addresses_be, int address_count,
                       uint16_t port_min, uint16_t port_max, int *prog_fd, char *log, size_t log_size);

#endif // __linux__
#endif // CSBC_RELAY_H
