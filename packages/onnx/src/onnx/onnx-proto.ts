import { ProtoWriter } from './proto-writer.js';

/**
 * The ONNX messages this package writes (onnx/onnx.proto3), as plain objects, and their encoding.
 * Field numbers are onnx.proto's.
 */

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** A dimension: a number, or a symbolic name such as "batch". */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: DataType;
  dims: readonly Dim[];
}

/** Where an initializer's bytes live: inline (`raw_data`) or in an external file (or in-memory "file"). */
export type TensorBytes = { raw: Uint8Array } | { external: { location: string; offset: number; length: number } };

export interface TensorSpec {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  bytes: TensorBytes;
}

export type AttributeValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string }
  | { tensor: TensorSpec };

export interface NodeSpec {
  opType: string;
  /** '' (ai.onnx) or 'com.microsoft'. */
  domain: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttributeValue>>;
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorSpec[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export interface ModelSpec {
  /** IR version 8 pairs with opset 17 (ONNX 1.12). */
  irVersion: number;
  opsets: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: GraphSpec;
  metadata?: Readonly<Record<string, string>>;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

export function encodeTensor(t: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length > 0) w.packedVarints(1, t.dims);
  w.varint(2, t.dataType).string(8, t.name);
  if ('raw' in t.bytes) {
    w.bytes(9, t.bytes.raw);
  } else {
    const { location, offset, length } = t.bytes.external;
    for (const [key, value] of [
      ['location', location],
      ['offset', String(offset)],
      ['length', String(length)],
    ] as const) {
      w.message(13, new ProtoWriter().string(1, key).string(2, value));
    }
    w.varint(14, 1); // data_location = EXTERNAL
  }
  return w;
}

function encodeAttribute(name: string, a: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('int' in a) w.varint(3, a.int).varint(20, ATTR_INT);
  else if ('float' in a) w.float(2, a.float).varint(20, ATTR_FLOAT);
  else if ('ints' in a) w.packedVarints(8, a.ints).varint(20, ATTR_INTS);
  else if ('floats' in a) {
    for (const f of a.floats) w.float(7, f);
    w.varint(20, ATTR_FLOATS);
  } else if ('string' in a) w.string(4, a.string).varint(20, ATTR_STRING);
  else w.message(5, encodeTensor(a.tensor)).varint(20, ATTR_TENSOR);
  return w;
}

function encodeNode(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes)) w.message(5, encodeAttribute(name, a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().varint(1, v.elemType).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function encodeGraph(g: GraphSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w;
}

/** The ModelProto, as chunks (see ProtoWriter). */
export function encodeModel(m: ModelSpec): ProtoWriter {
  const w = new ProtoWriter().varint(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  w.message(7, encodeGraph(m.graph));
  for (const o of m.opsets) {
    const op = new ProtoWriter();
    if (o.domain) op.string(1, o.domain);
    w.message(8, op.varint(2, o.version));
  }
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, new ProtoWriter().string(1, key).string(2, value));
  return w;
}
