export { TorchFileError } from './errors.js';
export { MAX_PICKLE_BYTES, MAX_STORAGE_BYTES, readTorchFile, type TorchFile } from './torch-file.js';
export { FORMAT_PROBE_BYTES, sniffFormat, torchFormatOf, type TorchFormat } from './format.js';
export { MAX_TENSOR_DIMS, isTorchTensor, type TorchTensor } from './tensor.js';
export { SAFETENSORS_NAMES, type TorchDtype } from './storage.js';
export { PickleOpaque, type PickleValue } from './pickle/values.js';
export { PICKLE_UNITS_PER_BYTE } from './pickle/machine.js';
export { torchStateDict } from './state-dict.js';
export { safetensorsConversionHint } from './convert-hint.js';
