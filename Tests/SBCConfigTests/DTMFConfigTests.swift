import Testing
import SBCConfig

/// `trunks[].dtmf` and `trunks[].dtmf_info_type`: defaults, values and problems.
@Suite("DTMF configuration")
struct DTMFConfigTests {
    @Test("defaults: passthrough, INFO bodies application/dtmf-relay")
    func defaults() throws {
        let config = try #require(TestSupport.load(FailoverConfigTests.yaml()))
        #expect(config.trunks.first?.dtmf == TrunkDTMFSettings(mode: .passthrough, infoType: .dtmfRelay))
    }

    @Test("every mode and body type is read", arguments: DTMFMode.allCases)
    func values(mode: DTMFMode) throws {
        let yaml = FailoverConfigTests.yaml(trunk: "    dtmf: \(mode.rawValue)\n    dtmf_info_type: dtmf")
        let config = try #require(TestSupport.load(yaml))
        #expect(config.trunks.first?.dtmf == TrunkDTMFSettings(mode: mode, infoType: .dtmf))
    }

    @Test("problems name the key and line")
    func problems() {
        TestSupport.expectSingleProblem(FailoverConfigTests.yaml(trunk: "    dtmf: rfc2833"), keyPath: "trunks[0].dtmf",
                                        line: 9, containing: "must be one of rfc4733, info, both, passthrough")
        TestSupport.expectSingleProblem(FailoverConfigTests.yaml(trunk: "    dtmf_info_type: application/dtmf"),
                                        keyPath: "trunks[0].dtmf_info_type", line: 9,
                                        containing: "must be one of dtmf-relay, dtmf")
    }
}
