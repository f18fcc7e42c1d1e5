//===- ScheduleTest.cpp - Spellings and placements of the schedule model --===//
//
// Schedule.cpp: the names of kinds, placements and messages, and how each
// placement maps stages to ranks.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Schedule/Schedule.h"

#include "gtest/gtest.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

using namespace dualpipe;

namespace {

TEST(ScheduleModel, KindSpellingsRoundTrip) {
  const std::array<std::string_view, 7> names = {
      "dualpipe", "dualpipev", "1f1b", "interleaved-1f1b",
      "zb-h1",    "zbv",       "gpipe"};
  ASSERT_EQ(allScheduleKinds().size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(toString(allScheduleKinds()[i]), names[i]);
    EXPECT_EQ(parseScheduleKind(names[i]), allScheduleKinds()[i]);
  }
  EXPECT_FALSE(parseScheduleKind("DualPipe"));
  EXPECT_FALSE(parseScheduleKind(""));
  for (std::string_view name : {"standard", "interleaved", "v", "dual"})
    EXPECT_EQ(toString(*parsePlacementKind(name)), name);
  EXPECT_FALSE(parsePlacementKind("V"));
  EXPECT_EQ(toString(MsgKind::Activation), "activation");
  EXPECT_EQ(toString(MsgKind::Gradient), "grad");
  EXPECT_EQ(std::string({toChar(OpKind::F), toChar(OpKind::B),
                         toChar(OpKind::I), toChar(OpKind::W)}),
            "FBIW");
}

TEST(ScheduleModel, PlacementsMapStagesToRanks) {
  Placement dual{PlacementKind::Dual, 4, 4, 8};
  EXPECT_EQ(dual.rankOf(0, 3), 0);
  EXPECT_EQ(dual.rankOf(0, 4), 3);
  EXPECT_EQ(dual.direction(3), 0);
  EXPECT_EQ(dual.direction(4), 1);
  EXPECT_EQ(dual.stagesOn(1), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(dual.holds(1, 2));
  EXPECT_FALSE(dual.holds(1, 3));

  Placement v{PlacementKind::V, 4, 8, 10};
  EXPECT_EQ(v.rankOf(3, 0), 3);
  EXPECT_EQ(v.rankOf(4, 0), 3); // the fold
  EXPECT_EQ(v.rankOf(7, 9), 0);
  EXPECT_EQ(v.stagesOn(0), (std::vector<int64_t>{0, 7}));
  EXPECT_EQ(v.direction(9), 0);

  Placement interleaved{PlacementKind::Interleaved, 2, 6, 4};
  EXPECT_EQ(interleaved.rankOf(5, 0), 1);
  EXPECT_EQ(interleaved.stagesOn(1), (std::vector<int64_t>{1, 3, 5}));
  EXPECT_TRUE(interleaved.holds(0, 4));

  Placement standard{PlacementKind::Standard, 3, 3, 1};
  EXPECT_EQ(standard.rankOf(2, 0), 2);
  EXPECT_EQ(standard.stagesOn(2), (std::vector<int64_t>{2}));
  EXPECT_EQ(standard.rankOf(3, 0), -1);
  EXPECT_EQ(standard.rankOf(0, 1), -1);
  EXPECT_TRUE(standard.stagesOn(3).empty());
}

TEST(ScheduleModel, CheckSizesExplainsInconsistency) {
  EXPECT_EQ((Placement{PlacementKind::Standard, 4, 4, 1}.checkSizes()), "");
  EXPECT_EQ((Placement{PlacementKind::Standard, 4, 5, 1}.checkSizes()),
            "standard placement requires stages == ranks (4), got 5");
  EXPECT_EQ((Placement{PlacementKind::Interleaved, 4, 6, 1}.checkSizes()),
            "interleaved placement requires stages to be a multiple of ranks "
            "(4), got 6");
  EXPECT_EQ((Placement{PlacementKind::V, 4, 6, 1}.checkSizes()),
            "v placement requires stages == 2 * ranks (8), got 6");
  EXPECT_EQ((Placement{PlacementKind::Dual, 4, 4, 5}.checkSizes()),
            "dual placement requires an even number of microbatches, got 5");
  EXPECT_EQ((Placement{PlacementKind::Dual, 3, 3, 4}.checkSizes()),
            "dual placement requires an even number of ranks, got 3");
  EXPECT_EQ((Placement{PlacementKind::Dual, 0, 4, 4}.checkSizes()),
            "ranks must be positive, got 0");
  EXPECT_EQ((Placement{PlacementKind::V, 4, 8, 0}.checkSizes()),
            "microbatches must be positive, got 0");
}

} // namespace
