import Testing
@testable import Tally

@Suite struct DirtyAssignmentsTests {
    @Test func holdsEachIndexOnceInOrder() {
        var dirty: DirtyAssignments = []
        for index: UInt32 in [200, 3, 64, 3, 63, 0, 200] { dirty.insert(index) }
        #expect(dirty.count == 5)
        #expect(dirty.sorted() == [0, 3, 63, 64, 200])
        #expect(dirty == [64, 0, 3, 200, 63])
        #expect(dirty != [0, 3, 63, 64])
        #expect(DirtyAssignments().sorted().isEmpty)
    }
}
