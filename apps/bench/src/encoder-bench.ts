/** The text-encoder measurements, as functions: run-encoder.ts runs them at full size, the smoke test tiny. */
import * as fs from 'node:fs';
import type * as tfCore from '@tensorflow/tfjs-core';
import type { CLIPTextConfig, CLIPTextModel } from '@sdtext/text-encoder';
import { cpuMs, median } from './machine.js';

export type Tf = typeof tfCore;

/**
 * FLOPs of one forward pass, counting each matmul as 2*M*N*K: per layer the q/k/v and out
 * projections, the attention scores (QK^T) and the weighted sum (PV), the MLP's fc1 and fc2; plus
 * the embedding sum (B*S*H adds). LayerNorm, softmax, GELU and the mask are elementwise: a few
 * hundred FLOPs per activation value, under 1% of the total, and left out.
 */
export function forwardFlops(config: Pick<CLIPTextConfig, 'hidden_size' | 'intermediate_size' | 'num_hidden_layers'>, batch: number, seqLen: number): number {
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const tokens = batch * seqLen;
  const projections = 4 * 2 * tokens * H * H; // q, k, v, out_proj
  const attention = 2 * (2 * batch * seqLen * seqLen * H); // scores + weighted sum, all heads
  const mlp = 2 * tokens * H * I + 2 * tokens * I * H; // fc1, fc2
  return tokens * H + config.num_hidden_layers * (projections + attention + mlp);
}

export interface MatMulRate {
  shape: string;
  flops: number;
  /** Median milliseconds of one matMul (wall clock). */
  ms: number;
  gflops: number;
  /** Median CPU milliseconds of one matMul, and the rate by CPU time. */
  cpuMs: number;
  cpuGflops: number;
  samplesMs: number[];
}

/**
 * The backend's own float32 matMul rate: `[m, k] x [n, k]^T` (the model's Linear layout,
 * `matMul(x, w, false, true)`) or `[m, k] x [k, n]`. Each sample times `repeat` matMuls and reads
 * the last result back.
 */
export async function measureMatMul(
  tf: Tf,
  m: number,
  k: number,
  n: number,
  options: { transposeB: boolean; samples: number; repeat: number },
): Promise<MatMulRate> {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1) as tfCore.Tensor2D;
  const b = tf.randomNormal(options.transposeB ? [n, k] : [k, n], 0, 1, 'float32', 2) as tfCore.Tensor2D;
  const once = async () => {
    let last: tfCore.Tensor | undefined;
    for (let i = 0; i < options.repeat; i++) {
      last?.dispose();
      last = tf.matMul(a, b, false, options.transposeB);
    }
    await last!.data();
    last!.dispose();
  };
  await once(); // warm-up
  const samplesMs: number[] = [];
  const cpuSamples: number[] = [];
  for (let s = 0; s < options.samples; s++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await once();
    samplesMs.push((performance.now() - start) / options.repeat);
    cpuSamples.push(cpuMs(cpuStart) / options.repeat);
  }
  a.dispose();
  b.dispose();
  const ms = median(samplesMs);
  const cpu = median(cpuSamples);
  const flops = 2 * m * k * n;
  const shape = `[${m},${k}]x[${options.transposeB ? `${n},${k}]^T` : `${k},${n}]`}`;
  return { shape, flops, ms, gflops: flops / ms / 1e6, cpuMs: cpu, cpuGflops: flops / cpu / 1e6, samplesMs };
}

/** One forward pass, read back to the host, outputs disposed: wall and CPU milliseconds. */
export async function timeForward(model: CLIPTextModel, inputIds: number[][]): Promise<{ ms: number; cpuMs: number }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const out = model.forward({ inputIds });
  await out.lastHiddenState.data();
  await out.poolerOutput.data();
  const ms = performance.now() - start;
  const cpu = cpuMs(cpuStart);
  out.lastHiddenState.dispose();
  out.poolerOutput.dispose();
  return { ms, cpuMs: cpu };
}

/** Milliseconds per tfjs kernel name over one forward pass (tf.profile). */
export async function kernelBreakdown(tf: Tf, model: CLIPTextModel, inputIds: number[][]): Promise<{ kernel: string; ms: number; calls: number }[]> {
  const info = await tf.profile(async () => {
    const out = model.forward({ inputIds });
    await out.lastHiddenState.data();
    out.lastHiddenState.dispose();
    out.poolerOutput.dispose();
  });
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry.calls++;
    byName.set(k.name, entry);
  }
  return [...byName].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}

/** The process's resident memory from /proc/self/status: current (VmRSS) and peak (VmHWM), in bytes. */
export function residentMemory(): { rss: number; peak: number } {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Parameter count of a safetensors file, from its header (no tensor data read). */
export function safetensorsParameterCount(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    fs.readSync(fd, lengthBytes, 0, 8, 0);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    const header = Buffer.alloc(length);
    fs.readSync(fd, header, 0, length, 8);
    const entries = JSON.parse(header.toString('utf8')) as Record<string, { shape?: number[] }>;
    let count = 0;
    for (const [name, entry] of Object.entries(entries)) {
      if (name === '__metadata__' || !entry.shape) continue;
      count += entry.shape.reduce((a, b) => a * b, 1);
    }
    return count;
  } finally {
    fs.closeSync(fd);
  }
}

export interface MatMulShapeCost {
  what: string;
  callsPerForward: number;
  cpuMs: number;
  cpuGflops: number;
  cpuMsPerForward: number;
}

/**
 * Each matMul of a forward pass, timed alone in CPU time, in the layout the model runs it on wasm
 * (Linear as W x^T, attention as batched [B*heads, S, d] products), plus per-head 2D products as an
 * alternative for the attention: where the forward's time goes, shape by shape.
 */
export async function matMulShapes(
  tf: Tf,
  config: Pick<CLIPTextConfig, 'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads'>,
  batch: number,
  seqLen: number,
  repeat = 5,
): Promise<MatMulShapeCost[]> {
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const L = config.num_hidden_layers;
  const heads = config.num_attention_heads;
  const d = H / heads;
  const N = batch * seqLen;
  const BH = batch * heads;
  const cases: { what: string; a: number[]; b: number[]; transposeB: boolean; calls: number; split?: number }[] = [
    { what: `q/k/v/out proj: W[${H},${H}] x X^T[${H},${N}]`, a: [H, H], b: [H, N], transposeB: false, calls: 4 * L },
    { what: `fc1: W[${I},${H}] x X^T[${H},${N}]`, a: [I, H], b: [H, N], transposeB: false, calls: L },
    { what: `fc2: W[${H},${I}] x X^T[${I},${N}]`, a: [H, I], b: [I, N], transposeB: false, calls: L },
    { what: `scores: Q[${BH},${seqLen},${d}] x K^T (batched, transposeB)`, a: [BH, seqLen, d], b: [BH, seqLen, d], transposeB: true, calls: L },
    { what: `weighted sum: P[${BH},${seqLen},${seqLen}] x V[${BH},${seqLen},${d}] (batched)`, a: [BH, seqLen, seqLen], b: [BH, seqLen, d], transposeB: false, calls: L },
    { what: `alternative, scores per head: ${BH} x Q[${seqLen},${d}] x K^T[${d},${seqLen}] (2D)`, a: [seqLen, d], b: [d, seqLen], transposeB: false, calls: L, split: BH },
    { what: `alternative, weighted sum per head: ${BH} x P[${seqLen},${seqLen}] x V[${seqLen},${d}] (2D)`, a: [seqLen, seqLen], b: [seqLen, d], transposeB: false, calls: L, split: BH },
  ];
  const result: MatMulShapeCost[] = [];
  for (const c of cases) {
    const count = c.split ?? 1;
    const as = Array.from({ length: count }, () => tf.randomNormal(c.a));
    const bs = Array.from({ length: count }, () => tf.randomNormal(c.b));
    const once = () => {
      for (let i = 0; i < count; i++) {
        const out = tf.matMul(as[i]!, bs[i]!, false, c.transposeB);
        out.dataSync();
        out.dispose();
      }
    };
    once();
    const cpuStart = process.cpuUsage();
    for (let r = 0; r < repeat; r++) once();
    const ms = cpuMs(cpuStart) / repeat;
    const batchDims = c.a.length === 3 ? c.a[0]! : 1;
    const [m, k] = c.a.slice(-2) as [number, number];
    const n = c.transposeB ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
    const flops = 2 * batchDims * m * k * n * count;
    result.push({ what: c.what, callsPerForward: c.calls, cpuMs: ms, cpuGflops: flops / ms / 1e6, cpuMsPerForward: ms * c.calls });
    for (const t of [...as, ...bs]) t.dispose();
  }
  return result;
}
