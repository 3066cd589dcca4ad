import Testing
import SBCConfig

/// Problems with the document as a whole: YAML syntax, emptiness, the top level, duplicate keys
/// and unknown sections. Each asserts the exact key path and line, since that is what an operator
/// (and an editor jumping to `file:line:column`) relies on.
@Suite("Document shape")
struct DocumentShapeTests {
    @Test("a YAML syntax error is one problem with its line and column")
    func syntaxError() {
        let yaml = """
            zones:
              - name: core
                bind: 127.0.0.1
               udp_port: 5060
            """
        let found = TestSupport.problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.keyPath == "")
        #expect(found.first?.line == 4)
        #expect(found.first?.message.hasPrefix("YAML syntax error: ") == true)
    }

    @Test("an unterminated flow list is a syntax error at the line where YAML gives up")
    func unterminatedFlowList() {
        let yaml = TestSupport.minimal + """

            trunk_groups:
              - name: g
                members: [peer
            """
        let found = TestSupport.problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.keyPath == "")
        #expect(found.first?.line == 15)
        #expect(found.first?.message.contains("YAML syntax error") == true)
    }

    @Test("a second YAML document is refused at its start")
    func secondDocument() {
        let found = TestSupport.problems(TestSupport.minimal + "\n---\nzones: []\n")
        #expect(found.map(\.line) == [12])
        #expect(found.first?.message == "YAML syntax error: expected a single document in the stream (from line 1), "
            + "but found another document")
    }

    @Test("an empty file, or one with only comments, is one problem without a line",
          arguments: ["", "\n\n", "# nothing yet\n   # still nothing\n", "---\n"])
    func emptyFile(yaml: String) {
        let found = TestSupport.problems(yaml, source: "conf/empty.yaml")
        #expect(found == [ConfigProblem(source: "conf/empty.yaml", keyPath: "",
                                        message: "the file is empty; a configuration needs at least zones, trunks and routes")])
        #expect(found.first?.description
            == "conf/empty.yaml: the file is empty; a configuration needs at least zones, trunks and routes")
    }

    @Test("a top level that is not a mapping is refused at its line",
          arguments: [("- zones\n- trunks\n", 1, "a list"), ("# header\n\njust text\n", 3, "\"just text\"")])
    func topLevelNotMapping(yaml: String, line: Int, got: String) {
        let found = TestSupport.problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.keyPath == "")
        #expect(found.first?.line == line)
        #expect(found.first?.message.hasPrefix("the top level must be a mapping of sections") == true)
        #expect(found.first?.message.hasSuffix("got \(got)") == true)
    }

    @Test("a key written twice in one mapping is refused at its line")
    func duplicateKey() {
        let yaml = """
            zones:
              - name: core
                bind: 127.0.0.1
                udp_port: 5060
                udp_port: 5070
            """
        let found = TestSupport.problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.line == 4)
        #expect(found.first?.message.contains("duplicate key \"udp_port\"") == true)
    }

    @Test("an unknown top-level section gets a did-you-mean")
    func unknownSection() {
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nloging:\n  level: debug",
                                        keyPath: "loging", line: 12, column: 1,
                                        containing: "unknown key \"loging\"; did you mean \"logging\"?")
    }

    @Test("an unknown key nowhere near a known one gets no suggestion")
    func unknownKeyWithoutSuggestion() {
        let found = TestSupport.problems(TestSupport.minimal + "\nsip:\n  banana: 3")
        #expect(found.map(\.keyPath) == ["sip.banana"])
        #expect(found.first?.line == 13)
        #expect(found.first?.column == 3)
        #expect(found.first?.message == "unknown key \"banana\"")
    }

    /// A missing key has no line of its own; the problem points at the mapping that should hold it,
    /// here the top-level mapping, which starts at line 1.
    @Test("required lists: zones, trunks and routes must be present and non-empty")
    func requiredLists() {
        let found = TestSupport.problems("""
            node:
              name: x
            zones: []
            trunk_groups:
            """)
        #expect(found.map(\.keyPath) == ["trunks", "routes", "zones"])
        #expect(found.map(\.line) == [1, 1, 3])
        #expect(found.map(\.message) == [
            "at least one trunk is required", "at least one route is required", "at least one zone is required",
        ])
    }

    @Test("a missing zones list is reported once, not again for every trunk that names a zone")
    func noCascadeFromMissingList() {
        let yaml = TestSupport.minimal.replacingOccurrences(of: "zones:\n  - name: core\n    bind: 127.0.0.1\n    udp_port: 5060\n",
                                                            with: "zones: []\n")
        TestSupport.expectSingleProblem(yaml, keyPath: "zones", line: 1, column: 8, containing: "at least one zone is required")
    }

    @Test("every problem of a file is reported in one run, in file order")
    func multipleProblemsAtOnce() {
        let yaml = """
            sip:
              t1_ms: fast
              max_forwards: 300
            zones:
              - name: core
                bind: 127.0.0.1
                udp_prot: 5060
            trunks:
              - name: peer
                zone: cor
                address: 127.0.0.10
                port: abc
            routes:
              - name: all
                trunk: peer
              - name: never
                trunk: peer
            """
        do {
            _ = try ConfigLoader.parse(yaml: yaml, source: "conf/bad.yaml")
            Issue.record("the configuration loaded")
        } catch {
            #expect(error.problems.map(\.keyPath) == [
                "sip.t1_ms", "sip.max_forwards", "zones[0]", "zones[0].udp_prot",
                "trunks[0].zone", "trunks[0].port", "routes[1]",
            ])
            #expect(error.problems.map(\.line) == [2, 3, 5, 7, 10, 12, 16])
            #expect(error.description.split(separator: "\n").count == 7)
            #expect(error.description.split(separator: "\n")[5]
                == #"conf/bad.yaml:12:11: trunks[0].port: must be an integer 1-65535, got "abc""#)
            #expect(error.problems(at: "zones[0].udp_prot").first?.message
                == "unknown key \"udp_prot\"; did you mean \"udp_port\"?")
            #expect(error.problems(at: "trunks[0].zone").first?.message
                == "no zone named \"cor\"; did you mean \"core\"?")
        }
    }
}
