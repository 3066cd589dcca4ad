import Testing
import SIPCore

/// SIP INFO DTMF bodies: both formats parsed (with the variants carriers send) and generated.
@Suite struct DTMFInfoBodyTests {
    static func parse(_ type: String, _ text: String) -> DTMFInfoBody? {
        DTMFInfoBody(mediaType: type, body: Array(text.utf8))
    }

    @Test func dtmfRelayWithSignalAndDuration() {
        #expect(Self.parse("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")
            == DTMFInfoBody(event: 5, duration: .milliseconds(160)))
        #expect(Self.parse("application/dtmf-relay", "signal = #\nduration= 250") == DTMFInfoBody(event: 11, duration: .milliseconds(250)),
                "keys in any case, blanks around =, LF line ends")
        #expect(Self.parse("application/dtmf-relay", "Signal=*") == DTMFInfoBody(event: 10, duration: nil))
        #expect(Self.parse("application/dtmf-relay", "Signal=10\r\nDuration=100") == DTMFInfoBody(event: 10, duration: .milliseconds(100)),
                "event codes for * and #")
        #expect(Self.parse("application/dtmf-relay", "Signal=d\r\nDuration=99999")?.duration == .milliseconds(8000),
                "A-D in any case; durations capped at 8 s")
        #expect(Self.parse("application/dtmf-relay", "Signal=!")?.event == 16, "flash")
        #expect(Self.parse("application/dtmf-relay", "Duration=160") == nil)
        #expect(Self.parse("application/dtmf-relay", "Signal=E") == nil)
        #expect(Self.parse("application/dtmf-relay", "Signal=17") == nil)
        #expect(Self.parse("application/dtmf-relay", "5") == nil, "dtmf-relay needs a Signal line")
    }

    @Test func dtmfWithTheDigitAlone() {
        #expect(Self.parse("application/dtmf", "7") == DTMFInfoBody(event: 7, duration: nil))
        #expect(Self.parse("application/dtmf", " 7\r\n") == DTMFInfoBody(event: 7, duration: nil))
        #expect(Self.parse("application/dtmf", "11") == DTMFInfoBody(event: 11, duration: nil))
        #expect(Self.parse("application/dtmf", "Signal=B\r\nDuration=300") == DTMFInfoBody(event: 13, duration: .milliseconds(300)),
                "some send dtmf-relay lines under this type")
        #expect(Self.parse("application/dtmf", "") == nil)
        #expect(Self.parse("application/dtmf", "12345") == nil)
    }

    @Test func otherTypesAreNotDTMF() {
        #expect(Self.parse("application/sdp", "Signal=5") == nil)
        #expect(DTMFInfoBody(mediaType: nil, body: Array("Signal=5".utf8)) == nil)
        #expect(Self.parse("application/media_control+xml", "<media_control/>") == nil)
    }

    @Test func generatesBothFormats() {
        let digit = DTMFInfoBody(event: 11, duration: .milliseconds(180))
        #expect(String(decoding: digit.body(as: .dtmfRelay), as: UTF8.self) == "Signal=#\r\nDuration=180\r\n")
        #expect(String(decoding: digit.body(as: .dtmf), as: UTF8.self) == "#")
        #expect(String(decoding: DTMFInfoBody(event: 3, duration: nil).body(as: .dtmfRelay), as: UTF8.self)
            == "Signal=3\r\nDuration=250\r\n", "the default duration")
        #expect(DTMFInfoBody.Format.dtmfRelay.rawValue == "application/dtmf-relay")
        for event in UInt8(0)...16 {
            for format in DTMFInfoBody.Format.allCases {
                #expect(DTMFInfoBody(format: format, body: DTMFInfoBody(event: event, duration: .milliseconds(120)).body(as: format))?.event == event)
            }
        }
    }
}
