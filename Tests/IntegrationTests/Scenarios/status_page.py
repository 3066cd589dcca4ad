#!/usr/bin/env python3
"""Drives headless Chromium (Debian's `chromium`) through the SBC's status page for the
integration tests, over the DevTools protocol on a pipe (--remote-debugging-pipe: no port, no
WebSocket library, Python's standard library only).

One page load, then:
  1. wait until the page has polled at least once and the --expect-trunk rows are rendered;
     save the DOM (before.html), mark the page (a reload would lose the mark), and report
     {"event": "rendered", "states": {trunk: state}} on stderr;
  2. wait for --go-file (the test changes the SBC's state meanwhile), then wait until the
     --until expression is true, without reloading;
  3. save the DOM again (after.html) and a screenshot, and print a JSON summary on stdout:
     {"rendered": bool, "changed": bool, "samePage": bool, "polls": n, "errors": [...]}
Console errors, uncaught exceptions and Content-Security-Policy violations are collected in
"errors". Exit status 0 when every step succeeded.
"""
import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


def progress(**event):
    print(json.dumps(event), file=sys.stderr, flush=True)


class DevTools:
    """The DevTools protocol over Chromium's pipe: fd 3 carries commands, fd 4 answers and
    events, each message a JSON text ended by a NUL byte."""

    def __init__(self, chromium, profile, width, height, log):
        command_read, self.command_write = os.pipe()
        self.answer_read, answer_write = os.pipe()

        def child_fds():
            os.dup2(command_read, 3)
            os.dup2(answer_write, 4)

        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--user-data-dir=" + profile, "--window-size=%d,%d" % (width, height),
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(3, 4), preexec_fn=child_fds)
        os.close(command_read)
        os.close(answer_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True, timeout=15):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.command_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            for answer in self._read(deadline):
                if answer.get("id") == self.next_id:
                    if "error" in answer:
                        raise RuntimeError("%s: %s" % (method, answer["error"]))
                    return answer.get("result", {})
                if "method" in answer:
                    self.events.append(answer)

    def _read(self, deadline):
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.answer_read], [], [], remaining)
            if ready:
                chunk = os.read(self.answer_read, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed its DevTools pipe")
                self.buffer += chunk
        messages = []
        while b"\0" in self.buffer:
            text, self.buffer = self.buffer.split(b"\0", 1)
            messages.append(json.loads(text))
        return messages

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError("script failed: %s" % result["exceptionDetails"].get("text"))
        return result.get("result", {}).get("value")

    def wait_until(self, expression, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.1)
        return False

    def errors(self):
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("exception: %s" % (details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append("console: %s" % " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append("log: %s" % params["entry"].get("text"))
        return found

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_for_go(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            os.remove(path)
            return True
        time.sleep(0.05)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", default="chromium")
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True, help="directory for before.html, after.html, page.png")
    parser.add_argument("--expect-trunk", action="append", default=[])
    parser.add_argument("--go-file")
    parser.add_argument("--until", default="true", help="JavaScript that becomes true after the change")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1500)
    arguments = parser.parse_args()

    os.makedirs(arguments.out, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=arguments.out)
    summary = {"rendered": False, "changed": False, "samePage": False, "polls": 0, "errors": []}
    with open(os.path.join(arguments.out, "chromium.log"), "ab") as log:
        browser = DevTools(arguments.chromium, profile, arguments.width, arguments.height, log)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                           session=False)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.send(domain + ".enable")
            browser.send("Emulation.setDeviceMetricsOverride",
                         {"width": arguments.width, "height": arguments.height, "deviceScaleFactor": 1, "mobile": False})
            browser.send("Page.navigate", {"url": arguments.url})

            rows = " && ".join("document.querySelector('tr[data-trunk=%s]')" % json.dumps(name)
                               for name in arguments.expect_trunk) or "true"
            summary["rendered"] = browser.wait_until(
                "document.readyState === 'complete' && Number(document.body.dataset.polls) >= 1 && !!(%s)" % rows,
                arguments.timeout)
            with open(os.path.join(arguments.out, "before.html"), "w") as file:
                file.write(browser.evaluate("document.documentElement.outerHTML") or "")
            browser.evaluate("window.__statusPageCheck = 'same page'")
            states = browser.evaluate(
                "Object.fromEntries([...document.querySelectorAll('#trunks tr[data-trunk]')]"
                ".map(row => [row.dataset.trunk, row.dataset.state]))")
            progress(event="rendered", rendered=summary["rendered"], states=states)

            if summary["rendered"] and arguments.go_file:
                if not wait_for_go(arguments.go_file, arguments.timeout):
                    summary["errors"].append("the test never said go")
                else:
                    progress(event="go")
                    summary["changed"] = browser.wait_until(arguments.until, arguments.timeout)
            summary["samePage"] = browser.evaluate("window.__statusPageCheck === 'same page'") is True
            summary["polls"] = int(browser.evaluate("Number(document.body.dataset.polls)") or 0)
            summary["address"] = browser.evaluate("location.href")
            with open(os.path.join(arguments.out, "after.html"), "w") as file:
                file.write(browser.evaluate("document.documentElement.outerHTML") or "")
            shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            with open(os.path.join(arguments.out, "page.png"), "wb") as file:
                file.write(base64.b64decode(shot["data"]))
            summary["errors"] += browser.errors()
        except Exception as error:  # reported, never raised: the test reads the summary
            summary["errors"].append("%s: %s" % (type(error).__name__, error))
        finally:
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(summary), flush=True)
    ok = summary["rendered"] and (summary["changed"] or not arguments.go_file) and summary["samePage"] \
        and not summary["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
