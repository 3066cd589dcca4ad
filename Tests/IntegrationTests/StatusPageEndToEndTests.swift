// The status page in headless Chromium (Debian's `chromium`): the lab's three trunks render with
// their live calls, and a trunk locked through the API shows up on the page's next poll, with
// no reload. Set SBC_STATUS_SCREENSHOT=<path> to keep the screenshot (docs/status-page.png).
import Foundation
import Testing

@Suite("Status page end to end (sbc binary + headless Chromium)", .serialized, .timeLimit(.minutes(2)))
struct StatusPageEndToEndTests {
    @Test("the page renders the lab's trunks and shows a lock on its next poll without a reload")
    func pageShowsTrunksAndALockWithoutReload() async throws {
        var options = LabOptions()
        options.admin = true
        options.mediaTimeoutSeconds = 60  // the SIPp call sends no RTP: it must outlive a slow browser start
        try await withLab("status-page", options: options) { lab in
            let b = lab.block
            _ = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()
            // A call in progress, so that the page has live calls to count.
            _ = try lab.startCaller("uac_wait_bye", from: b.platform, to: b.sbcPlatform, calls: 1)
            let admin = AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)
            #expect(try await admin.establishedCall() != nil, "\(lab.sbcLog)")

            // The token travels once in the fragment, which no server sees; the page polls every second.
            let locked = #"document.querySelector('#trunks tr[data-trunk="carrier-b"]')?.dataset.state === 'locked'"#
                + #" && document.querySelector('#changes li[data-trunk="carrier-b"]')?.dataset.to === 'locked'"#
            let browser = try StatusPageBrowser(
                lab: lab, url: "\(lab.adminURL)/status?refresh=1#token=\(LabConfig.adminToken)",
                trunks: ["platform", "carrier-a", "carrier-b"], until: locked)
            let rendered = try #require(await browser.waitUntilRendered(), "\(browser.diagnostics)")
            #expect(rendered["rendered"] as? Bool == true, "\(browser.diagnostics)\n\(browser.html("before.html"))")
            let states = rendered["states"] as? [String: String] ?? [:]
            #expect(states == ["platform": "up", "carrier-a": "up", "carrier-b": "up"], "\(rendered)")

            let lock = try await admin.post("api/v1/trunks/carrier-b/lock", ["reason": "itest: status page"])
            #expect(lock.status == 200, "\(lock.object)")
            try browser.proceed()
            let summary = await browser.summary()

            #expect(summary["changed"] as? Bool == true, "the lock never showed\n\(summary)\n\(browser.html("after.html"))")
            #expect(summary["samePage"] as? Bool == true, "the page was reloaded")
            #expect((summary["polls"] as? Int ?? 0) >= 2, "\(summary)")
            #expect((summary["errors"] as? [String] ?? ["?"]).isEmpty, "console errors or CSP violations: \(summary)")
            #expect(!(summary["address"] as? String ?? "token").contains("token"), "the token left the address bar")

            let before = browser.html("before.html")
            for trunk in ["platform", "carrier-a", "carrier-b"] {
                #expect(before.contains(#"<tr data-trunk="\#(trunk)" data-state="up">"#), "\(trunk) row\n\(before)")
            }
            #expect(before.contains(#"data-calls="1""#), "carrier-a and platform carry the live call\n\(before)")
            let after = browser.html("after.html")
            #expect(after.contains(#"<tr data-trunk="carrier-b" data-state="locked">"#))
            #expect(after.contains("itest: status page"), "the lock's reason is on the page")

            let png = try Data(contentsOf: browser.screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
            if let keep = ProcessInfo.processInfo.environment["SBC_STATUS_SCREENSHOT"], !keep.isEmpty {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(at: browser.screenshot, to: URL(fileURLWithPath: keep))
            }
        }
    }
}
