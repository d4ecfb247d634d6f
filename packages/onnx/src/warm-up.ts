import { GraphBuilder } from './onnx/graph-builder.js';
import { DataType } from './onnx/onnx-proto.js';
import { concatChunks } from './onnx/proto-writer.js';
import { createSession, type OnnxSessionOptions } from './session.js';

/**
 * onnxruntime-web compiles its wasm and starts its threads (and WebGPU its device) when the first
 * session is made. Making a one-node session as a load starts, while the weights still stream in,
 * takes that off the load's path: the model's session then finds the runtime ready (ORT shares one
 * initialization between sessions). Failures are left to the real session to report.
 */
export function warmUpRuntime(options: OnnxSessionOptions): Promise<void> {
  const g = new GraphBuilder('warm_up', { weights: 'inline' });
  g.op('Identity', [g.input('x', DataType.FLOAT, [1])], {}, { output: 'y' });
  g.output('y', DataType.FLOAT, [1]);
  const proto = g.encode({ irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: '@sdtext/onnx', producerVersion: '0.1.0' });
  return createSession(concatChunks(proto.finish(), proto.length), [], options, 'basic').then(
    ({ session }) => session.release(),
    () => undefined,
  );
}
