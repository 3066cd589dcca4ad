import SDP
import Testing

@Suite struct SDPAttributeTests {
    @Test func splitsAtTheFirstColonAndKeepsEmptyValuesApart() {
        #expect(SDPAttribute(lineValue: "rtpmap:0 PCMU/8000") == SDPAttribute(name: "rtpmap", value: "0 PCMU/8000"))
        #expect(SDPAttribute(lineValue: "fingerprint:sha-256 D2:FA") == SDPAttribute(name: "fingerprint", value: "sha-256 D2:FA"))
        #expect(SDPAttribute(lineValue: "rtcp-mux") == SDPAttribute(name: "rtcp-mux", value: nil))
        #expect(SDPAttribute(lineValue: "label:") == SDPAttribute(name: "label", value: ""))
        for text in ["rtcp-mux", "label:", "x:y:z"] {
            #expect(SDPAttribute(lineValue: text).lineValue == text)
        }
        #expect(SDPLine(SDPAttribute(name: "ptime", value: "20")) == SDPLine(type: "a", value: "ptime:20"))
        #expect(SDPLine(type: "b", value: "AS:64").attribute == nil)
    }
}
