//===- RunSummary.cpp - The summary and --check lines of a run ------------===//

#include "dualpipe/Runtime/ElementType.h"
#include "dualpipe/Runtime/Reference.h"
#include "dualpipe/Runtime/Runner.h"

#include <iomanip>
#include <limits>
#include <sstream>

namespace dualpipe::runtime {
namespace {

std::string formatDouble(double value, int precision = 9) {
  std::ostringstream out;
  out << std::setprecision(precision) << value;
  return out.str();
}

std::string lossText(const torch::Tensor &loss) {
  return formatDouble(loss.item<double>(), 17);
}

} // namespace

std::vector<std::string>
lossDifferences(const std::string &where, const std::string &what,
                const std::vector<std::pair<int64_t, torch::Tensor>> &losses,
                const std::vector<torch::Tensor> &expected) {
  std::vector<std::string> differences;
  for (const auto &[mb, loss] : losses) {
    const torch::Tensor &reference = expected.at(mb);
    bool ok = loss.is_cuda() ? relativeDifference(loss, reference) <=
                                   kCudaLossUlps * ulpOf(reference)
                             : bitwiseEqual(loss, reference);
    if (!ok)
      differences.push_back(where + "mb " + std::to_string(mb) + " " + what +
                            " " + lossText(loss) +
                            " differs from the sequential reference " +
                            lossText(reference));
  }
  return differences;
}

double gradientTolerance(const std::string &dtype) {
  double ratio =
      epsilonOf(scalarTypeOf(dtype)) / std::numeric_limits<float>::epsilon();
  return ratio > 1 ? kGradientTolerance * ratio * ratio : kGradientTolerance;
}

std::string summaryLine(const RunResult &result, int64_t steps) {
  std::ostringstream out;
  out << steps << (steps == 1 ? " step, " : " steps, ") << std::fixed
      << std::setprecision(3) << result.secondsPerStep * 1e3
      << " ms/step, peak live activations per rank [";
  for (size_t r = 0; r < result.peakLive.size(); ++r)
    out << (r ? ", " : "") << result.peakLive[r];
  out << "]";
  if (!result.peakDeviceBytes.empty() && result.peakDeviceBytes[0] >= 0) {
    out << ", peak CUDA memory per rank [" << std::setprecision(1);
    for (size_t r = 0; r < result.peakDeviceBytes.size(); ++r)
      out << (r ? ", " : "") << result.peakDeviceBytes[r] / 1048576.0 << " MiB";
    out << "]";
  }
  if (result.secondsPerStep > 0) {
    double tokensPerSecond = result.tokensPerStep / result.secondsPerStep;
    out << ", " << std::setprecision(0) << tokensPerSecond << " tokens/s";
    // Only the built-in kernels have known FLOPs: a model of TorchScript
    // layers alone gets no FLOP/s figure rather than a wrong 0.
    if (result.flopsPerToken > 0)
      out << ", " << std::setprecision(3)
          << tokensPerSecond * result.flopsPerToken / 1e9
          << " GFLOP/s (built-in kernels)";
  }
  return out.str();
}

std::string checkLine(const RunResult &result, const Placement &placement) {
  if (!result.checkFailures.empty())
    return "check: FAILED (" + std::to_string(result.checkFailures.size()) +
           " differences)";
  std::string losses =
      result.bitwiseLosses
          ? " micro-batch losses bitwise equal to the sequential reference, "
          : " micro-batch losses within " + formatDouble(kCudaLossUlps) +
                " ulp of the sequential reference on the device (worst "
                "relative difference " +
                formatDouble(result.worstLossDifference, 3) + "), ";
  std::string evals = result.evalLossesCompared > 0
                          ? std::to_string(result.evalLossesCompared) +
                                " validation losses of eval step 0 likewise, "
                          : "";
  return "check: ok: " + std::to_string(result.lossesCompared) + losses +
         evals + "gradients of " + std::to_string(result.stagesCompared) +
         " stage copies within 1 - 2xy/(x^2+y^2) < " +
         formatDouble(result.gradientLimit, 3) + " (worst " +
         formatDouble(result.worstMismatch, 3) + ")" +
         (placement.kind == PlacementKind::Dual
              ? ", mirrors identical after every step"
              : "");
}

} // namespace dualpipe::runtime
