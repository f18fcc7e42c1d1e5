//===- ModelSpec.cpp - pipe.model <-> core model spec ---------------------===//
#include "dualpipe/Dialect/Pipe/IR/ModelSpec.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace dualpipe::pipe;

static dualpipe::AttrMap attrMapOf(DictionaryAttr dict);

/// Integers, floats, bools, strings, arrays and dictionaries as themselves;
/// any other attribute as its printed form.
static dualpipe::AttrValue attrValueOf(Attribute attr) {
  if (auto boolAttr = dyn_cast<BoolAttr>(attr))
    return boolAttr.getValue();
  if (auto intAttr = dyn_cast<IntegerAttr>(attr))
    return intAttr.getValue().getSExtValue();
  if (auto floatAttr = dyn_cast<FloatAttr>(attr))
    return floatAttr.getValueAsDouble();
  if (auto stringAttr = dyn_cast<StringAttr>(attr))
    return stringAttr.getValue().str();
  if (auto arrayAttr = dyn_cast<ArrayAttr>(attr)) {
    std::vector<dualpipe::AttrValue> list;
    for (Attribute element : arrayAttr)
      list.push_back(attrValueOf(element));
    return list;
  }
  if (auto dense = dyn_cast<DenseI64ArrayAttr>(attr)) {
    std::vector<dualpipe::AttrValue> list(dense.asArrayRef().begin(),
                                          dense.asArrayRef().end());
    return list;
  }
  if (auto dict = dyn_cast<DictionaryAttr>(attr))
    return attrMapOf(dict);
  std::string text;
  llvm::raw_string_ostream os(text);
  attr.print(os);
  return text;
}

static dualpipe::AttrMap attrMapOf(DictionaryAttr dict) {
  dualpipe::AttrMap map;
  for (NamedAttribute entry : dict)
    map.set(entry.getName().str(), attrValueOf(entry.getValue()));
  return map;
}

dualpipe::ModelSpec dualpipe::pipe::readModelSpec(ModelOp model) {
  dualpipe::ModelSpec spec;
  spec.name = model.getSymName().str();
  if (model.getConfig())
    spec.config = attrMapOf(*model.getConfig());
  for (LayerOp layer : model.getBody().front().getOps<LayerOp>()) {
    dualpipe::LayerSpec layerSpec;
    layerSpec.kernel = layer.getKernel().str();
    layerSpec.repeat = static_cast<int64_t>(layer.getRepeat());
    if (layer.getParams())
      layerSpec.attrs = attrMapOf(*layer.getParams());
    if (layer.getF() && layer.getB() && layer.getW()) {
      layerSpec.f = layer.getF()->convertToDouble();
      layerSpec.b = layer.getB()->convertToDouble();
      layerSpec.w = layer.getW()->convertToDouble();
    }
    spec.layers.push_back(std::move(layerSpec));
  }
  return spec;
}

RankedTensorType
dualpipe::pipe::tensorTypeFor(MLIRContext *context,
                              const dualpipe::TensorSpec &spec) {
  Type element = spec.dtype == "float64"    ? Type(Float64Type::get(context))
                 : spec.dtype == "bfloat16" ? Type(BFloat16Type::get(context))
                 : spec.dtype == "float16"  ? Type(Float16Type::get(context))
                                            : Type(Float32Type::get(context));
  return RankedTensorType::get(spec.shape, element);
}

dualpipe::TensorSpec dualpipe::pipe::tensorSpecFor(RankedTensorType type) {
  dualpipe::TensorSpec spec;
  spec.shape.assign(type.getShape().begin(), type.getShape().end());
  Type element = type.getElementType();
  spec.dtype = element.isF64()    ? "float64"
               : element.isBF16() ? "bfloat16"
               : element.isF16()  ? "float16"
                                  : "float32";
  return spec;
}
