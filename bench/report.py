#!/usr/bin/env python3
"""Writes BENCHMARKS.md and its PNG plots from the output of bench/report's bench runs.

    report.py --logs DIR --out DIR

DIR (--logs) holds context.txt and, per bench, NAME.log and NAME.rc (cps, cps-failover, media,
midcall); the figures come from the benches' machine-readable lines (`cps-step:`, `cps:`,
`cps-ratio:`, `cps-failover:`, `cps-hold:`, `cps-hold-rss:`, `media-step:`, `midcall: run=`),
documented in each script's header. Writes OUT/BENCHMARKS.md and OUT/benchmarks/*.png.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERVER_LABEL = {
    "sbc": "SwiftSBC",
    "kamailio": "Kamailio (default allocator)",
    "kamailio-tlsf": "Kamailio -x tlsf",
}
SYSTEM_LABEL = {
    "sbc": "SwiftSBC",
    "rtpengine": "rtpengine (userspace, 1 thread)",
    "udprelay": "C relay, one socket (udprelay)",
    "portrelay": "C relay, a socket per port (portrelay)",
}


def fields(line):
    out = {}
    for part in line.split():
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v
    return out


def lines(path, prefix):
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [fields(l[len(prefix):]) for l in f if l.startswith(prefix)]


def raw_lines(path, prefix):
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [l[len(prefix):].strip() for l in f if l.startswith(prefix)]


def num(v, default=None):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def fmt(v, digits=0):
    x = num(v)
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


class Report:
    def __init__(self, logs, out):
        self.logs, self.out = logs, out
        self.img = os.path.join(out, "benchmarks")
        os.makedirs(self.img, exist_ok=True)
        self.context = {}
        ctx = os.path.join(logs, "context.txt")
        if os.path.exists(ctx):
            for l in open(ctx):
                if "=" in l:
                    k, v = l.rstrip("\n").split("=", 1)
                    self.context[k] = v.strip().rstrip(".")
        self.quick = self.context.get("quick") == "1"
        self.md = []

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def status(self, name):
        rc = os.path.join(self.logs, name + ".rc")
        if not os.path.exists(rc):
            return None
        return open(rc).read().strip()

    def w(self, text=""):
        self.md.append(text)

    def para(self, text):
        """A paragraph (a triple-quoted block, its line breaks kept) and a blank line."""
        self.md.append(text.strip("\n"))
        self.md.append("")

    def section(self, title, intro, name, script, prefix=None):
        """A bench's section: title, intro and the bench's status. Without prefix: whether the bench
        ran; with one: the bench's `prefix` lines, None (and a note) when it did not run or has none."""
        self.para(title)
        self.para(intro)
        ran = self.bench_status(name, script)
        if prefix is None:
            return ran
        found = lines(self.log(name), prefix) if ran else []
        if ran and not found:
            self.para(f"_No `{prefix.strip()}` lines in its output._")
        return found or None

    def figure(self, fig, ax, name, alt, xlabel, ylabel, title, legend=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        if legend:
            ax.legend(fontsize=8)
        self.save(fig, name, alt)

    def step_plot(self, name, series, xlabel, ylabel, title):
        """series: (label, [(x, y, healthy)]) per system; healthy steps joined by a line, unhealthy
        ones marked x in the same colour."""
        if not any(points for _, points in series):
            return
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for label, points in series:
            ok = [(x, y) for x, y, healthy in points if healthy]
            bad = [(x, y) for x, y, healthy in points if not healthy]
            line = None
            if ok:
                (line,) = ax.plot([x for x, _ in ok], [y for _, y in ok], marker="o", label=label)
            if bad:
                ax.plot([x for x, _ in bad], [y for _, y in bad], linestyle="none", marker="x", markersize=9,
                        color=line.get_color() if line else None, label=None if ok else f"{label}: unhealthy")
        self.figure(fig, ax, name, title, xlabel, ylabel, title + " (x: unhealthy step)")

    def save(self, fig, name, alt):
        path = os.path.join(self.img, name)
        if self.quick:
            fig.text(0.5, 0.5, "QUICK RUN: not figures", ha="center", va="center", fontsize=26, color="red", alpha=0.25,
                     rotation=20)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        self.w(f"![{alt}](benchmarks/{name})")
        self.w()

    def bench_status(self, name, script):
        rc = self.status(name)
        if rc is None:
            self.w(f"_Not run in this report._")
            self.w()
            return False
        if rc != "0":
            self.w(f"**`{script}` failed (exit {rc})**: the figures below are what it printed before it stopped.")
            self.w()
        secs = self.context.get(f"seconds_{name}")
        load = self.context.get(f"load_before_{name}")
        if secs:
            self.w(f"_Run: {secs} s; load average before it: {load}._")
            self.w()
        return True

    # ------------------------------------------------------------ header
    def header(self):
        c = self.context
        self.para("# SwiftSBC benchmarks")
        if self.quick:
            self.para("""
> **QUICK RUN - THESE FIGURES MEAN NOTHING.** Generated by `REPORT_QUICK=1 bench/report`: every bench
> in its quick mode (a step or two of a few seconds, debug or release binary, a shared host), to
> check that the benches and this report work. Run `bench/report` on a quiet machine for figures.""")
        self.w(f"Generated by `bench/report` ({c.get('date', '?')}, commit {c.get('commit', '?')}). Every peer runs in the")
        self.w("same bench run as the SBC, under the same load, one after the other at each step, so the ratios")
        self.w("compare like with like; the raw output of each bench is kept beside the run (see bench/README.md).")
        self.w()
        self.w(table(["", ""], [
            ["host", f"{c.get('cpus', '?')} CPUs ({c.get('cpu_model', '?')}), kernel {c.get('kernel', '?')}; the load generators share the host"],
            ["SwiftSBC", c.get("sbc", "?")],
            ["Kamailio", c.get("kamailio", "?")],
            ["rtpengine", c.get("rtpengine", "?")],
            ["SIPp", c.get("sipp", "?")],
            ["load average before / after", f"{c.get('load_before', '?')} / {c.get('load_after', '?')}"],
        ]))
        self.w()
        self.para("""
CPU figures are user + system time of the server's processes and threads (`/proc/PID/stat`, all
of a forking server's children), per call or per relayed packet; they travel between machines
better than maxima, which also depend on the load generators sharing the cores.""")

    # ------------------------------------------------------------ signalling
    def cps_plot(self, steps, transport, name, title):
        series = [(SERVER_LABEL[server], [(num(x["rate"]), num(x["us_per_call"]), x.get("verdict") == "ok") for x in steps
                                          if x.get("server") == server and x.get("transport") == transport
                                          and num(x.get("us_per_call"))])
                  for server in SERVER_LABEL]
        self.step_plot(name, series, "attempted call rate (calls/s)", "CPU per call (us, user + system)", title)

    def cps_tables(self, path, transport, summary=True):
        steps = [s for s in lines(path, "cps-step: ") if s.get("transport") == transport]
        results = [r for r in lines(path, "cps: ") if r.get("transport") == transport]
        ratios = [r for r in lines(path, "cps-ratio: ") if r.get("transport") == transport]
        if not results:
            self.w(f"_No results over {transport}._")
            self.w()
            return steps
        if summary:
            self.w(table(["server", "highest healthy rate (calls/s)", "achieved", "CPU per call there (us)"], [
                [SERVER_LABEL.get(r["server"], r["server"]), fmt(r.get("best_rate")), fmt(r.get("achieved")),
                 fmt(r.get("us_per_call"))] for r in results]))
            self.w()
        if ratios:
            self.w(table(["SBC / peer", "CPU per call, at the highest rate both were healthy at", "range over every such rate",
                          "highest healthy rate"], [
                [SERVER_LABEL.get(r["peer"], r["peer"]),
                 f"**{r.get('cpu_ratio')}x** at {fmt(r.get('common_rate'))} calls/s" if r.get("cpu_ratio") != "-" else "-",
                 f"{r.get('cpu_ratio_min')}-{r.get('cpu_ratio_max')}x", f"**{r.get('rate_ratio')}x**"] for r in ratios]))
            self.w()
            self.w("Issue 15's targets: CPU per call at most 0.8x Kamailio's at its best, highest healthy rate at least 1.25x.")
            self.w()
        servers = [s for s in SERVER_LABEL if any(x.get("server") == s for x in steps)]
        rates = sorted({int(num(x["rate"])) for x in steps if num(x.get("rate")) is not None})
        if rates:
            def cell(server, rate):
                for x in steps:
                    if x.get("server") == server and num(x.get("rate")) == rate:
                        if x.get("verdict") == "ok":
                            return fmt(x.get("us_per_call"))
                        return f"{fmt(x.get('us_per_call'))} ({x.get('verdict')}: {x.get('fail_pct', '-')}% failed, {fmt(x.get('achieved'))}/s achieved)"
                return ""
            self.w("<details><summary>Every step: CPU per call (us)</summary>")
            self.w()
            self.w(table(["rate (calls/s)"] + [SERVER_LABEL[s] for s in servers],
                         [[f"{r:,}"] + [cell(s, r) for s in servers] for r in rates]))
            self.w()
            self.w("</details>")
            self.w()
        return steps

    def signalling(self):
        if not self.section("## Signalling: CPU per call and highest healthy rate (`bench/cps.sh`)", """
SIPp places short calls (INVITE, 180, 200, ACK, BYE, 200) from the platform through the server
to a carrier, stepping the rate up until more than 0.1% of a step's calls fail or the rate is not
sustained. The SBC runs signalling only (media off); Kamailio is the stateful proxy with
record-routing and dispatcher failover of `bench/peers/kamailio/`, 4 worker processes, with its
default allocator and with `-x tlsf`. Over TLS, SIPp's TCP goes through a local stunnel that holds
one TLS connection to the server.""", "cps", "bench/cps.sh"):
            return
        path = self.log("cps")
        for transport, title in (("udp", "UDP"), ("tls", "TLS (one reused connection)")):
            if not any(s.get("transport") == transport for s in lines(path, "cps-step: ")):
                continue
            self.w(f"### Platform over {title}")
            self.w()
            steps = self.cps_tables(path, transport)
            self.cps_plot(steps, transport, f"cps-{transport}.png", f"CPU per call vs rate, {title}")
        for l in raw_lines(path, "   "):
            if " over TLS (one reused connection)" in l:
                self.w(f"- {l}")
        self.w()

    # ------------------------------------------------------------ failover
    def failover(self):
        if not self.section("## Failover: every call's first carrier answers 503 (`bench/cps.sh FAILOVER=1`)", """
Carrier A answers every INVITE with 503, so every call fails over to carrier B (the SBC: its
trunk group; Kamailio: dispatcher set 1 and `ds_next_dst()`). The SBC is restarted after each of
its steps to log its own failover latency for that rate: from the 503's arrival to the INVITE to
carrier B handed to the kernel.""", "cps-failover", "bench/cps.sh FAILOVER=1"):
            return
        path = self.log("cps-failover")
        plain = {r["server"]: r for r in lines(self.log("cps"), "cps: ") if r.get("transport") == "udp"}
        fail = {r["server"]: r for r in lines(path, "cps: ") if r.get("transport") == "udp"}
        if fail:
            rows = []
            for s in SERVER_LABEL:
                if s not in fail:
                    continue
                p, f = plain.get(s, {}), fail[s]
                ratio = "-"
                if num(p.get("us_per_call")) and num(f.get("us_per_call")):
                    ratio = f"{num(f['us_per_call']) / num(p['us_per_call']):.2f}x"
                rows.append([SERVER_LABEL[s], fmt(p.get("best_rate")), fmt(p.get("us_per_call")), fmt(f.get("best_rate")),
                             fmt(f.get("us_per_call")), ratio])
            self.w(table(["server", "plain: highest healthy rate", "plain: us/call", "failover: highest healthy rate",
                          "failover: us/call", "failover / plain CPU"], rows))
            self.w()
        steps = self.cps_tables(path, "udp", summary=not fail)
        self.cps_plot(steps, "udp", "cps-failover.png", "CPU per call vs rate, every call failing over (UDP)")
        lat = [l for l in lines(path, "cps-failover: ") if l.get("server") == "sbc"]
        if lat:
            self.w("SwiftSBC's own failover latency per rate (issue 15's target: p99 under 1 ms at 2,500 calls/s):")
            self.w()
            self.w(table(["rate (calls/s)", "failovers", "p50 (us)", "p99 (us)", "max (us)"], [
                [fmt(l.get("rate")), fmt(l.get("failovers")), fmt(l.get("p50_us")), fmt(l.get("p99_us")), fmt(l.get("max_us"))]
                for l in lat]))
            self.w()
            pts = [(num(l["rate"]), num(l.get("p50_us")), num(l.get("p99_us"))) for l in lat
                   if num(l.get("rate")) and num(l.get("p99_us")) is not None]
            if pts:
                fig, ax = plt.subplots(figsize=(7.5, 4.0))
                ax.plot([p[0] for p in pts], [p[1] / 1000 for p in pts], marker="o", label="p50")
                ax.plot([p[0] for p in pts], [p[2] / 1000 for p in pts], marker="s", label="p99")
                ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="target p99 (1 ms at 2,500/s)")
                self.figure(fig, ax, "failover-latency.png", "SwiftSBC failover latency vs rate",
                            "call rate, every call failing over (calls/s)", "503 in -> INVITE out (ms)",
                            "SwiftSBC failover latency")

    # ------------------------------------------------------------ memory
    def memory(self):
        self.w("## Memory per established call (`bench/cps.sh` hold step)")
        self.w()
        hold = [h for h in lines(self.log("cps"), "cps-hold: ")]
        if not hold:
            self.w("_No hold step in this run._")
            self.w()
            return
        h = hold[-1]
        self.w(f"A fresh SBC holds {fmt(h.get('calls'))} calls up at once (set up at {fmt(h.get('rate'))} calls/s, media off):")
        self.w(f"VmRSS {fmt(h.get('rss_before_kb'))} kB before, {fmt(h.get('rss_peak_kb'))} kB at the peak, "
               f"{fmt(h.get('completed'))} calls completed: **{h.get('kb_per_call')} kB per established call** "
               f"({h.get('kb_per_call_up', '-')} kB from the highest sample before the first BYE, {fmt(h.get('rss_up_kb'))} kB: "
               "the peak often comes with the BYEs' transactions). Issue 15's target, with media: at most 10 KiB.")
        self.w()
        samples = raw_lines(self.log("cps"), "cps-hold-rss: ")
        if samples and samples[-1]:
            pts = []
            for pair in samples[-1].split(","):
                t, _, kb = pair.partition(":")
                if num(t) is not None and num(kb) is not None:
                    pts.append((num(t), num(kb) / 1024))
            calls, rate = num(h.get("calls"), 0), num(h.get("rate"), 1)
            if pts:
                fig, ax = plt.subplots(figsize=(7.5, 4.0))
                ax.plot([p[0] for p in pts], [p[1] for p in pts], label="SwiftSBC VmRSS (MiB)")
                ax2 = ax.twinx()
                ts = [p[0] for p in pts]
                held = calls / rate + 5   # cps.sh holds each call HOLD_CALLS/HOLD_RATE + 5 s
                ax2.plot(ts, [min(calls, t * rate) - min(calls, max(0.0, t - held) * rate) for t in ts],
                         color="grey", linestyle=":", label="calls up (nominal, from the set-up rate)")
                ax2.set_ylabel("calls up")
                ax2.set_ylim(bottom=0)
                h1, l1 = ax.get_legend_handles_labels()
                h2, l2 = ax2.get_legend_handles_labels()
                ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="lower right")
                self.figure(fig, ax, "memory-hold.png", "SwiftSBC RSS while holding calls", "seconds since the first INVITE",
                            "VmRSS (MiB)", "SwiftSBC memory while holding calls", legend=False)

    # ------------------------------------------------------------ media
    def media(self):
        steps = self.section("## Media relay: CPU per packet vs concurrent calls (`bench/media.sh`)", """
N concurrent G.711 calls (50 packets/s each way, 172-byte packets) through each relay in turn:
the SBC (one media worker), rtpengine (userspace, one thread), and two minimal C relays, one
socket for everything (`udprelay`, the physical limit) and a socket per port like every SBC
(`portrelay`). A step is healthy below 0.1% loss and 20 ms p99 added latency.""", "media", "bench/media.sh", "media-step: ")
        if not steps:
            return
        systems = [s for s in SYSTEM_LABEL if any(x.get("system") == s for x in steps)]
        systems += sorted({x["system"] for x in steps} - set(systems))

        def best(s):
            ok = [x for x in steps if x.get("system") == s and x.get("verdict") == "ok"]
            return max(ok, key=lambda x: num(x["calls"], 0)) if ok else None

        def us_at(s, n):
            for x in steps:
                if x.get("system") == s and num(x.get("calls")) == n and x.get("verdict") == "ok":
                    return num(x.get("us_per_pkt"))
            return None

        ns = sorted({num(x["calls"]) for x in steps if num(x.get("calls")) is not None})
        common = None
        for n in ns:
            if all(us_at(s, n) for s in systems):
                common = n
        rows = []
        for s in systems:
            b = best(s)
            rows.append([SYSTEM_LABEL.get(s, s), fmt(b["calls"]) if b else "none",
                         f"{fmt(num(b['p99_us'], 0) / 1000, 1)} ms" if b else "-",
                         fmt(us_at(s, common), 2) if common else "-",
                         f"{us_at(s, common) / us_at('sbc', common):.2f}x" if common and s != "sbc" and us_at("sbc", common) and "sbc" in systems else ""])
        self.w(table(["relay", "highest healthy N (calls)", "p99 there",
                      f"us CPU per packet at N = {fmt(common)}" if common else "us CPU per packet", "its cost / SBC's"], rows))
        self.w()
        if common and "sbc" in systems:
            for peer in ("rtpengine", "udprelay", "portrelay"):
                if peer in systems and us_at(peer, common):
                    self.w(f"- SBC / {peer}: **{us_at('sbc', common) / us_at(peer, common):.2f}x** CPU per packet at {fmt(common)} calls")
            self.w("- issue 15's targets: SBC / udprelay at most 1.3x; SBC / rtpengine at most 0.5x (twice its efficiency).")
            self.w()
        noisy = [x for x in steps if num(x.get("other_pct"), 0) > 15]
        if noisy:
            self.w(f"_{len(noisy)} of {len(steps)} steps ran while other processes used more than 15% of a core"
                   " (`other%`): their loss, latency and maxima are unreliable, CPU per packet less so._")
            self.w()
        series = [(SYSTEM_LABEL.get(sy, sy), [(num(x["calls"]), num(x["us_per_pkt"]), x.get("verdict") == "ok") for x in steps
                                              if x.get("system") == sy and num(x.get("us_per_pkt"))])
                  for sy in systems]
        self.step_plot("media-cpu-per-packet.png", series, "concurrent calls (50 packets/s each way)",
                       "relay CPU per relayed packet (us)", "Media relay CPU per packet vs calls")
        self.w("<details><summary>Every step</summary>")
        self.w()
        self.w(table(["relay", "calls", "packets/s in", "loss %", "p99 (us)", "us/packet", "other %", "verdict"], [
            [SYSTEM_LABEL.get(x["system"], x["system"]), x.get("calls"), x.get("pps_in"), x.get("loss_pct"), x.get("p99_us"),
             x.get("us_per_pkt"), x.get("other_pct"), x.get("verdict")] for x in steps]))
        self.w()
        self.w("</details>")
        self.w()

    # ------------------------------------------------------------ mid-call failover
    def midcall(self):
        runs = self.section("## Mid-call failover of critical calls (`bench/midcall.sh`)", """
N answered critical calls with RTP both ways; carrier A's RTP stops on every call at once, and the
SBC must move every call to carrier B after the media timeout without the platform noticing.""",
                            "midcall", "bench/midcall.sh", "midcall: ")
        if not runs:
            return
        self.w(table(["run", "calls", "survived", "B's audio on the old port", "audio gap p50 / p99 / max (ms)",
                      "INVITEs to B spread (ms)", "SBC reaction p99 (ms)"], [
            [r.get("run"), r.get("calls"), r.get("survived"), r.get("same_port"),
             f"{fmt(r.get('gap_p50_ms'))} / {fmt(r.get('gap_p99_ms'))} / {fmt(r.get('gap_max_ms'))}",
             fmt(r.get("called_spread_ms")), fmt(r.get("reaction_p99_ms"), 2)] for r in runs]))
        self.w()

    def footer(self):
        self.para("## Reproducing")
        self.para("""
`bench/report` (all of the above, 30-45 minutes on a quiet 2-CPU machine), or each bench on its own:
`bench/cps.sh`, `FAILOVER=1 bench/cps.sh` (or `bench/failover.sh`), `bench/media.sh`, `bench/midcall.sh`;
`REPORT_QUICK=1 bench/report` checks in a minute or two that everything still runs. See bench/README.md.""")

    def write(self):
        self.header()
        self.signalling()
        self.failover()
        self.memory()
        self.media()
        self.midcall()
        self.footer()
        with open(os.path.join(self.out, "BENCHMARKS.md"), "w") as f:
            f.write("\n".join(self.md).rstrip() + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logs", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    Report(a.logs, a.out).write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
