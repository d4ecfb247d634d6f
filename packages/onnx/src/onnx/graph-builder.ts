import {
  DataType,
  encodeModel,
  type AttributeValue,
  type Dim,
  type GraphSpec,
  type ModelSpec,
  type NodeSpec,
  type TensorBytes,
  type TensorSpec,
  type ValueInfo,
} from './onnx-proto.js';
import type { ProtoWriter } from './proto-writer.js';

/** An in-memory "external data file": ORT's `externalData` session option takes these. */
export interface ExternalFile {
  path: string;
  data: Uint8Array;
}

export interface GraphBuilderOptions {
  /**
   * 'inline': weights go into the protobuf as raw_data (a self-contained model file).
   * 'external': each weight is an in-memory external file (ORT reads it in place, and the
   * protobuf stays a few hundred KB, so the weights are never serialized or copied into it).
   */
  weights: 'inline' | 'external';
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Builds an ONNX graph node by node, naming intermediate values, and encodes it as a ModelProto. */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: TensorSpec[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  /** The in-memory weight files, for options.weights = 'external'. */
  readonly externalFiles: ExternalFile[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly options: GraphBuilderOptions,
  ) {}

  /** A new unique value name. */
  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, elemType: DataType, dims: readonly Dim[]): string {
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  /** Declares `value` a graph output called `name` (the value must already carry that name). */
  output(name: string, elemType: DataType, dims: readonly Dim[]): void {
    this.outputs.push({ name, elemType, dims });
  }

  /** A model weight (float32, float16 bits, or int8 for quantized matrices), under its checkpoint key. */
  weight(key: string, data: Float32Array | Uint16Array | Int8Array, dims: readonly number[]): string {
    const dataType = data instanceof Float32Array ? DataType.FLOAT : data instanceof Int8Array ? DataType.INT8 : DataType.FLOAT16;
    const raw = bytesOf(data);
    let bytes: TensorBytes;
    if (this.options.weights === 'inline') {
      bytes = { raw };
    } else {
      const location = `w${this.externalFiles.length}.bin`;
      this.externalFiles.push({ path: location, data: raw });
      bytes = { external: { location, offset: 0, length: raw.length } };
    }
    this.initializers.push({ name: key, dataType, dims, bytes });
    return key;
  }

  /** A weight stored in a file beside the model (`location`, relative to the model's folder), read by ORT. */
  fileWeight(key: string, dataType: DataType, dims: readonly number[], location: string, offset: number, length: number): string {
    this.initializers.push({ name: key, dataType, dims, bytes: { external: { location, offset, length } } });
    return key;
  }

  /** A small constant (shape helpers, masks, scalars), always inline. */
  constant(hint: string, dataType: DataType, dims: readonly number[], data: Float32Array | BigInt64Array | Int32Array): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType, dims, bytes: { raw: bytesOf(data) } });
    return name;
  }

  int64s(hint: string, values: readonly number[], scalar = false): string {
    return this.constant(hint, DataType.INT64, scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  float(hint: string, value: number): string {
    return this.constant(hint, DataType.FLOAT, [], Float32Array.of(value));
  }

  /**
   * Adds a node. `outputs` is a count (auto-named) or explicit names ('' for an unused optional
   * output). Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    options: { domain?: string; outputs?: number | readonly string[] } = {},
  ): string[] {
    const spec = options.outputs ?? 1;
    const outputs = typeof spec === 'number' ? Array.from({ length: spec }, () => this.fresh(opType)) : [...spec];
    this.nodes.push({ opType, domain: options.domain ?? '', name: this.fresh(`n_${opType}`), inputs, outputs, attributes });
    return outputs;
  }

  /** A one-output node: returns its output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    options: { domain?: string; output?: string } = {},
  ): string {
    return this.node(opType, inputs, attributes, {
      domain: options.domain,
      outputs: options.output === undefined ? 1 : [options.output],
    })[0]!;
  }

  graph(): GraphSpec {
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  encode(spec: Omit<ModelSpec, 'graph'>): ProtoWriter {
    return encodeModel({ ...spec, graph: this.graph() });
  }
}
