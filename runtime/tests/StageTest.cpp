//===- StageTest.cpp - Stage numerics -------------------------------------===//

#include "RuntimeTestUtil.h"

#include "dualpipe/Runtime/ElementType.h"
#include "dualpipe/Runtime/Reference.h"
#include "dualpipe/Runtime/Runner.h"
#include "dualpipe/Runtime/Stage.h"
#include "dualpipe/Schedule/ElementTypes.h"

using namespace dualpipe;
using namespace dualpipe::runtime;
using namespace dualpipe::testing;

namespace {

TestModel transformerModel() {
  TestModel model;
  model.kernel = "transformer";
  model.seqLen = 3;
  model.rows = 2;
  model.hidden = 8;
  model.heads = 2;
  model.ffn = 16;
  return model;
}

torch::Tensor randomLike(const LoadedProgram &program, uint64_t salt) {
  at::Generator gen = seededGenerator({salt});
  return torch::randn(program.config.messageShape, gen);
}

/// Runs one micro-batch through a stage with a full backward and, on a
/// second copy, with backward_input then backward_weight.
void expectSplitEqualsFull(const LoadedProgram &program, int64_t stage) {
  const StageSpec &spec = program.file.stages[stage];
  StageWorker full(spec, program), split(spec, program);
  torch::Tensor input = randomLike(program, 1);
  torch::Tensor gradOutput = randomLike(program, 2);
  torch::Tensor outFull = full.forward(3, input);
  torch::Tensor outSplit = split.forward(3, input);
  EXPECT_TRUE(bitwiseEqual(outFull, outSplit));
  EXPECT_EQ(split.liveActivations(), 1);

  torch::Tensor gradFull = full.backward(3, gradOutput);
  torch::Tensor gradSplit = split.backwardInput(3, gradOutput);
  EXPECT_EQ(split.flatGradients().abs().sum().item<double>(), 0)
      << "backward_input must not produce weight gradients";
  EXPECT_EQ(split.liveActivations(), 1) << "the graph stays for W";
  split.backwardWeight(3);

  EXPECT_EQ(full.liveActivations(), 0);
  EXPECT_EQ(split.liveActivations(), 0);
  ASSERT_EQ(gradFull.defined(), stage > 0);
  if (stage > 0)
    EXPECT_TRUE(bitwiseEqual(gradFull, gradSplit));
  EXPECT_GT(full.flatGradients().abs().sum().item<double>(), 0);
  EXPECT_TRUE(bitwiseEqual(full.flatGradients(), split.flatGradients()));
}

TEST(Stage, SplitBackwardEqualsFullBackwardMlp) {
  auto program = loadTestProgram(schedule(ScheduleKind::ZBH1, 3, 3));
  for (int64_t stage : {0, 1, 2})
    expectSplitEqualsFull(program, stage);
}

TEST(Stage, SplitBackwardEqualsFullBackwardTransformer) {
  auto program =
      loadTestProgram(schedule(ScheduleKind::ZBH1, 3, 3), transformerModel());
  for (int64_t stage : {0, 1, 2})
    expectSplitEqualsFull(program, stage);
}

TEST(Stage, CopiesOfAStageStartIdentical) {
  auto program = loadTestProgram(schedule(ScheduleKind::DualPipe, 2, 4));
  StageWorker a(program.file.stages[1], program);
  StageWorker b(program.file.stages[1], program);
  StageWorker other(program.file.stages[0], program);
  EXPECT_TRUE(bitwiseEqual(a.flatParameters(), b.flatParameters()));
  EXPECT_FALSE(bitwiseEqual(a.flatParameters(), other.flatParameters()));
}

TEST(Stage, RejectsOpsOutOfOrder) {
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 2));
  StageWorker stage(program.file.stages[0], program);
  torch::Tensor grad = randomLike(program, 2);
  EXPECT_THROW(stage.backward(0, grad), std::runtime_error);
  stage.forward(0, randomLike(program, 1));
  EXPECT_THROW(stage.forward(0, randomLike(program, 1)), std::runtime_error);
  EXPECT_THROW(stage.backwardWeight(0), std::runtime_error);
  EXPECT_THROW(stage.backward(0, grad.narrow(0, 0, 1)), std::runtime_error);
}

/// The loss and gradients of the whole model, independently of the stage
/// split: central differences of the full-batch mean loss in float64.
double fullBatchLoss(const LoadedProgram &program, int64_t stage,
                     int64_t element, double delta) {
  std::vector<std::unique_ptr<StageWorker>> stages;
  for (const StageSpec &spec : program.file.stages)
    stages.push_back(std::make_unique<StageWorker>(spec, program));
  {
    torch::NoGradGuard noGrad;
    int64_t offset = element;
    for (torch::Tensor &p : stages[stage]->parameters()) {
      if (offset < p.numel()) {
        p.view({-1})[offset] += delta;
        break;
      }
      offset -= p.numel();
    }
  }
  DataSource data(program.config);
  double total = 0;
  for (int64_t mb = 0; mb < program.placement().microbatches; ++mb) {
    torch::Tensor x = data.input(0, mb);
    for (auto &s : stages)
      x = s->forward(mb, x);
    total += x.item<double>();
  }
  return total;
}

TEST(Stage, GradientsMatchFiniteDifferences) {
  for (const char *loss : {"mse", "cross_entropy"}) {
    TestModel model;
    model.hidden = 4;
    model.ffn = 6;
    model.rows = 3;
    model.loss = loss;
    model.classes = 3;
    model.dtype = "float64";
    auto program =
        loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 2), model);
    ReferenceResult reference = runReference(program);
    for (int64_t stage : {0, 1})
      for (int64_t element : {0, 5, 17, 40}) {
        double eps = 1e-6;
        double numeric = (fullBatchLoss(program, stage, element, eps) -
                          fullBatchLoss(program, stage, element, -eps)) /
                         (2 * eps);
        double analytic = reference.gradients.at(stage)[element].item<double>();
        EXPECT_NEAR(numeric, analytic, 1e-7 + 1e-5 * std::abs(analytic))
            << loss << " stage " << stage << " element " << element;
      }
  }
}

TEST(Stage, MismatchMeasure) {
  torch::Tensor x = torch::tensor({1.0, 2.0, 3.0}, torch::kFloat64);
  EXPECT_EQ(mismatch(x, x), 0);
  EXPECT_EQ(mismatch(torch::zeros({3}), torch::zeros({3})), 0);
  EXPECT_NEAR(mismatch(x, -x), 2, 1e-15);
  EXPECT_NEAR(mismatch(x, x * (1 + 1e-6)), 0.5e-12, 1e-14);
}

/// The CUDA loss tolerance of --check: relative to the reference, in units
/// of the dtype's epsilon.
TEST(Reference, RelativeDifferenceAndUlp) {
  torch::Tensor x = torch::tensor({2.0f});
  EXPECT_EQ(relativeDifference(x, x), 0);
  torch::Tensor next = torch::nextafter(x, torch::tensor({3.0f}));
  double oneUlp = relativeDifference(next, x);
  EXPECT_GT(oneUlp, 0);
  EXPECT_LE(oneUlp, ulpOf(x));
  EXPECT_EQ(ulpOf(x), std::numeric_limits<float>::epsilon());
  EXPECT_EQ(ulpOf(x.to(torch::kFloat64)),
            std::numeric_limits<double>::epsilon());
  EXPECT_GT(relativeDifference(x * (1 + 1e-5), x), kCudaLossUlps * ulpOf(x));
  EXPECT_TRUE(std::isinf(relativeDifference(x, torch::zeros({1}))));
  EXPECT_EQ(ulpOf(x.to(torch::kBFloat16)), 0.0078125); // 2^-7
}

/// The gradient limit of --check widens with the square of the epsilon.
TEST(Reference, GradientToleranceFollowsTheElementType) {
  EXPECT_EQ(gradientTolerance("float32"), kGradientTolerance);
  EXPECT_EQ(gradientTolerance("float64"), kGradientTolerance);
  EXPECT_DOUBLE_EQ(gradientTolerance("bfloat16"),
                   kGradientTolerance * 65536.0 * 65536.0);
}

/// Every element type the loader accepts has a tensor type.
TEST(Stage, EveryElementTypeHasATensorType) {
  for (const ElementTypeInfo &type : kElementTypes) {
    torch::ScalarType scalar = scalarTypeOf(std::string(type.name));
    EXPECT_EQ(torch::elementSize(scalar), size_t(type.bytes)) << type.name;
  }
  EXPECT_THROW(scalarTypeOf("float16"), std::invalid_argument);
}

/// A bfloat16 stage keeps bfloat16 parameters and activations and computes
/// its loss in float32.
TEST(Stage, BFloat16StageHasAFloat32Loss) {
  TestModel model;
  model.dtype = "bfloat16";
  auto program = loadTestProgram(schedule(ScheduleKind::OneFOneB, 2, 2), model);
  StageWorker first(program.file.stages[0], program);
  StageWorker last(program.file.stages[1], program);
  DataSource data(program.config);
  torch::Tensor x = data.input(0, 0);
  EXPECT_EQ(x.scalar_type(), torch::kBFloat16);
  torch::Tensor hidden = first.forward(0, x);
  EXPECT_EQ(hidden.scalar_type(), torch::kBFloat16);
  torch::Tensor loss = last.forward(0, hidden);
  EXPECT_EQ(loss.scalar_type(), torch::kFloat32);
  torch::Tensor gradHidden = last.backward(0, torch::Tensor());
  EXPECT_EQ(gradHidden.scalar_type(), torch::kBFloat16);
  first.backward(0, gradHidden);
  EXPECT_EQ(first.flatGradients().scalar_type(), torch::kBFloat16);
}

} // namespace
