import Testing
import TallyTesting

@Suite struct ManualClockTests {
    @Test func movesOnlyWhenTold() {
        let clock = ManualClock(nowMilliseconds: 1_000)
        #expect(clock.nowMilliseconds() == 1_000)
        clock.advance(byMilliseconds: 250)
        #expect(clock.nowMilliseconds() == 1_250)
        clock.set(5)
        #expect(clock.nowMilliseconds() == 5)
    }
}
