//===- LanguageModel.h - The embedding and lm_head kernels ------*- C++ -*-===//
//
// The two ends of a language model, registered in Kernels.cpp: an embedding
// of token ids (first layer) and a final norm plus a projection to the
// vocabulary (last layer), whose logits the last stage's cross-entropy
// reads. Their vocabulary is the program's `classes`.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_MODEL_LANGUAGEMODEL_H
#define DUALPIPE_RUNTIME_MODEL_LANGUAGEMODEL_H

#include "dualpipe/Runtime/Stage.h"

#include <string_view>

namespace dualpipe::runtime {

/// embedding or lm_head.
bool isLanguageKernel(std::string_view kernel);

/// Empty if the layer at `path` is a valid embedding or lm_head for
/// `config`, else the reason, starting with the JSON path of the culprit.
std::string checkLanguageLayer(const LayerSpec &spec, const TrainConfig &config,
                               const std::string &path);

/// Builds a checked embedding or lm_head, drawing its weights from
/// `generator`.
std::unique_ptr<Layer> makeLanguageLayer(const LayerSpec &spec,
                                         const TrainConfig &config,
                                         at::Generator &generator);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_MODEL_LANGUAGEMODEL_H
