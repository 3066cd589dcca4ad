# Shared by scripts/run, scripts/test and bench/: installs what is missing and builds.
# Sourced, not executed.

# Debian packages the SBC and its lab need: the C libraries it links, SIPp as the lab's peers.
SBC_APT_PACKAGES=(pkg-config libssl-dev libsrtp2-dev libsqlite3-dev sip-tester)
# ... and what only the tests need: baresip (a real SDES-SRTP and TLS platform: modules srtp,
# aufile, aubridge, sndfile) and tshark (what the carrier side sees on the wire) for the SRTP and
# TLS end-to-end tests, sipsak (an independent SIP-over-TLS client, GnuTLS), stunnel4 (TLS in
# front of SIPp, which has none, for bench/cps.sh's TLS step); and the peers the benches' quick
# modes measure the SBC against (BenchQuickModeTests): Kamailio with its TLS module (bench/cps.sh,
# bench/failover.sh), rtpengine and gcc for the C relays and the RTP generator (bench/media.sh).
# chromium renders the admin status page headless (StatusPageEndToEndTests).
SBC_TEST_APT_PACKAGES=(baresip-core tshark sipsak stunnel4 kamailio kamailio-tls-modules rtpengine-daemon gcc)
SBC_TEST_APT_PACKAGES+=(chromium)
# liburing for bench/media.sh's io_uring relays (bench/README.md "Media socket layouts").
SBC_TEST_APT_PACKAGES+=(liburing-dev)
# svmap and svwar (HardeningEndToEndTests: scanners find no version and no users).
SBC_TEST_APT_PACKAGES+=(sipvicious)
# ClusterEndToEndTests: its own PostgreSQL instance behind Kamailio's dispatcher (docs/CLUSTER.md).
SBC_TEST_APT_PACKAGES+=(postgresql)

sbc_log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages above that are not installed yet (apt-get update only if needed).
sbc_install_dependencies() {
  local missing=()
  for pkg in "${SBC_APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "need root to install: ${missing[*]}" >&2; return 1; }
    sbc_log "installing ${missing[*]}"
    apt-get update -qq
    # tshark's package asks whether non-root users may capture; answer no without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    # Kamailio and rtpengine are peers the benches start themselves: their packaged services must
    # not start on install (Kamailio's would take the lab's port 5060). A policy-rc.d that refuses
    # service starts is put in place for the install only, unless the host already has one.
    local policy=/usr/sbin/policy-rc.d ours=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && ours=1
    fi
    local status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
    [ -z "$ours" ] || rm -f "$policy"
    [ "$status" = 0 ] || { echo "apt-get install failed ($status): ${missing[*]}" >&2; return "$status"; }
  fi
  if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
      [ -x "$dir/swift" ] && export PATH="$dir:$PATH" && break
    done
  fi
  command -v swift >/dev/null 2>&1 || { echo "Swift 6 toolchain not found (expected swift on PATH or in /opt/swift)" >&2; return 1; }
}
