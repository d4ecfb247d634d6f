import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  ConfigError,
  LoraError,
  SafetensorsError,
  TextualInversionError,
  TorchFileError,
  TruncatedError,
  isTorchTensor,
  memoryReader,
  mergeLoraInto,
  openTextModelCheckpoint,
  parseLoraKey,
  readLora,
  readSafetensors,
  readTextualInversion,
  readTorchFile,
  serializeSafetensors,
  type ModelFiles,
  type PickleValue,
} from '../src/index.js';
import { PickleWriter, floats, torchZip } from './helpers/torch-writer.js';

/**
 * Property tests of the readers of untrusted files: the safetensors header reader, the torch zip
 * reader, the legacy torch stream and the unpickler (and on top: textual inversion, single-file
 * .ckpt planning, LoRA / LyCORIS files and their key names). Random bytes, and real files with fields
 * mutated (lengths, offsets, counts, opcodes, memo indices, nesting, repeated ranges). Each call must
 * return or throw the reader's own error type (never a RangeError, TypeError or stack overflow) and
 * finish within PER_CALL_MS (a generous bound that catches exponential or quadratic blow-ups).
 * SDTEXT_FUZZ_RUNS=N runs N cases per property instead of the short default.
 */

const RUNS = Number(process.env.SDTEXT_FUZZ_RUNS ?? 150);
const PER_CALL_MS = 500;
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** A fixture as a plain Uint8Array (not a Buffer, whose slice() is a view). */
const fixture = (file: string): Uint8Array => Uint8Array.from(readFileSync(file));
const EXTRAS = path.resolve(HERE, '../../../models/fixtures/checkpoint-extras');
const REGRESSIONS = JSON.parse(readFileSync(path.join(HERE, 'fixtures/fuzz-regressions.json'), 'utf8')) as Record<'safetensors' | 'torch' | 'textualInversion', string[]>;
const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const examples = (list: string[]): [Uint8Array][] => list.map((hex) => [fromHex(hex)]);
const settings = { numRuns: RUNS, interruptAfterTimeLimit: Math.max(20_000, RUNS * 50) } as const;

/** Runs `call`; it must return or throw one of `allowed`, within PER_CALL_MS. */
async function bounded(call: () => unknown, allowed: readonly (new (...args: never[]) => Error)[]): Promise<void> {
  const start = performance.now();
  try {
    await call();
  } catch (e) {
    if (!allowed.some((type) => e instanceof type)) throw e;
  }
  expect(performance.now() - start).toBeLessThan(PER_CALL_MS);
}

// --- mutations of real files -----------------------------------------------------------------------

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'truncate'; at: number };

const interesting32 = fc.oneof(fc.constantFrom(0, 1, 2, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff), fc.nat());
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: interesting32 }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat(16) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }), times: fc.nat(200) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(base); // a copy (Buffer.slice would share the fixture's memory)
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'set':
        if (b.length > 0) b[at] = m.value;
        break;
      case 'u32':
        if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, m.value, true);
        break;
      case 'insert':
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
        break;
      case 'delete':
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.length)]);
        break;
      case 'repeat': {
        const piece = b.subarray(at, at + m.length);
        const out = [...b.subarray(0, at)];
        for (let i = 0; i < m.times; i++) out.push(...piece);
        b = Uint8Array.from([...out, ...b.subarray(at)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}
const mutated = (bases: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([base, ms]) => mutate(base, ms));

// --- safetensors -------------------------------------------------------------------------------------

const SAFETENSORS_BASES = [
  serializeSafetensors({ a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, b: { dtype: 'F16', shape: [4], data: Float32Array.from([1, 2, 3, 4]) } }, { format: 'pt' }),
  fixture(path.join(EXTRAS, 'ti-cat-toy.safetensors')),
  fixture(path.join(EXTRAS, 'ti-sdxl.safetensors')),
];

/** A safetensors file whose header is built from random JSON-ish fields. */
const randomHeaderFile = fc
  .dictionary(
    fc.oneof(fc.string({ maxLength: 8 }), fc.constant('__metadata__')),
    fc.oneof(
      fc.record({
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL'), fc.string({ maxLength: 4 })),
        shape: fc.array(fc.oneof(fc.nat(8), fc.integer(), fc.double(), fc.constant(2 ** 53), fc.constant(-1)), { maxLength: 4 }),
        data_offsets: fc.array(fc.oneof(fc.nat(64), fc.integer(), fc.double(), fc.constant(2 ** 60)), { maxLength: 3 }),
      }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    { maxKeys: 4 },
  )
  .chain((header) =>
    fc.tuple(fc.constant(header), fc.uint8Array({ maxLength: 96 }), fc.oneof(fc.constant(null), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))),
  )
  .map(([header, data, length]) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  });

const checkSafetensors = (bytes: Uint8Array) => bounded(() => readSafetensors(bytes, 'fuzz.safetensors'), [SafetensorsError]);

describe('fuzz: safetensors header reader', () => {
  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), checkSafetensors), { ...settings, examples: examples(REGRESSIONS.safetensors) });
  });
  it('random headers', async () => {
    await fc.assert(fc.asyncProperty(randomHeaderFile, checkSafetensors), settings);
  });
  it('real files, mutated', async () => {
    await fc.assert(fc.asyncProperty(mutated(SAFETENSORS_BASES), checkSafetensors), settings);
  });
});

// --- torch files: zip and pickle ----------------------------------------------------------------------

const STORAGE = { '0': floats(Array.from({ length: 32 }, (_, i) => i)) };

/** Reads the file, then every tensor reachable from its root (a visited set: the root may be cyclic). */
async function readEverything(bytes: Uint8Array): Promise<void> {
  const file = await readTorchFile(bytes, { name: 'fuzz.pt' });
  const seen = new Set<unknown>();
  const todo: PickleValue[] = [file.root];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    if (isTorchTensor(x)) await x.read();
    else if (Array.isArray(x)) todo.push(...x.slice(0, 10_000));
    else if (x instanceof Map) for (const [k, v] of x) todo.push(k, v);
  }
  await file.close();
}
const checkTorch = (bytes: Uint8Array) => bounded(() => readEverything(bytes), [TorchFileError]);

const pickleOf = (zip: Uint8Array): Uint8Array => {
  // The first stored entry of a torch zip is data.pkl (the fixtures and torchZip both): its local header is at 0.
  const v = new DataView(zip.buffer, zip.byteOffset);
  const size = v.getUint32(22, true);
  const start = 30 + v.getUint16(26, true) + v.getUint16(28, true);
  return zip.slice(start, start + size);
};
const TORCH_FILES = ['ti-my-style.pt', 'ti-dog.bin'].map((f) => fixture(path.join(EXTRAS, f)));
const TENSOR_PICKLE = new PickleWriter()
  .proto()
  .emptyDict()
  .put(0)
  .mark()
  .str('a')
  .tensor({ key: '0', numel: 32, size: [4, 8], stride: [8, 1] })
  .put(1)
  .str('b')
  .get(1)
  .str('c')
  .emptyList()
  .put(2)
  .get(2)
  .append()
  .setitems()
  .stop()
  .bytes();
const PICKLES = [...TORCH_FILES.map(pickleOf), TENSOR_PICKLE];
const withStorage = (pickle: Uint8Array): Uint8Array => torchZip(pickle, STORAGE);

type Write = (w: PickleWriter) => void;
/** Opcode-shaped tokens: each writes one opcode with plausible arguments (or a whole tensor call). */
const token: fc.Arbitrary<Write> = fc.oneof(
  fc.constantFrom<Write>(
    (w) => w.mark(),
    (w) => w.tuple(),
    (w) => w.tuple1(),
    (w) => w.tuple2(),
    (w) => w.raw(0x87),
    (w) => w.emptyTuple(),
    (w) => w.emptyList(),
    (w) => w.emptyDict(),
    (w) => w.raw(0x6c),
    (w) => w.raw(0x64),
    (w) => w.append(),
    (w) => w.appends(),
    (w) => w.setitem(),
    (w) => w.setitems(),
    (w) => w.none(),
    (w) => w.reduce(),
    (w) => w.raw(0x81),
    (w) => w.raw(0x62),
    (w) => w.persid(),
    (w) => w.raw(0x94),
    (w) => w.raw(0x93),
    (w) => w.global('torch._utils', '_rebuild_tensor_v2'),
    (w) => w.global('torch._utils', '_rebuild_parameter'),
    (w) => w.global('torch._tensor', '_rebuild_from_type_v2'),
    (w) => w.global('collections', 'OrderedDict'),
    (w) => w.global('torch', 'FloatStorage'),
    (w) => w.global('_codecs', 'encode'),
    (w) => w.global('os', 'system'),
    (w) => w.global('torch', 'LongStorage'),
    (w) => w.global('torch', 'float32'),
    (w) => w.global('numpy.core.multiarray', 'scalar'),
    (w) => w.global('numpy.core.multiarray', '_reconstruct'),
    (w) => w.global('numpy', 'dtype'),
    (w) => w.global('numpy', 'ndarray'),
    (w) => w.global('__builtin__', 'set'),
    (w) => w.global('pytorch_lightning.callbacks.model_checkpoint', 'ModelCheckpoint'),
    (w) => w.str('storage'),
    (w) => w.str('latin1'),
  ),
  fc.nat(8).map((i) => (w: PickleWriter) => void w.put(i)),
  fc.nat(8).map((i) => (w: PickleWriter) => void w.get(i)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => (w: PickleWriter) => void w.int(n)),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => (w: PickleWriter) => void w.long(n)),
  fc.double().map((x) => (w: PickleWriter) => void w.float(x)),
  fc.string({ maxLength: 6 }).map((s) => (w: PickleWriter) => void w.str(s)),
  fc.uint8Array({ maxLength: 6 }).map((b) => (w: PickleWriter) => void w.binstring(b)),
  fc.nat(255).map((op) => (w: PickleWriter) => void w.raw(op)),
  fc
    .record({
      numel: fc.oneof(fc.constant(32), fc.nat(64)),
      offset: fc.oneof(fc.nat(40), fc.integer(), fc.double({ noNaN: true })),
      size: fc.array(fc.oneof(fc.nat(40), fc.constant(2 ** 31), fc.constant(0)), { maxLength: 4 }),
      stride: fc.array(fc.oneof(fc.nat(40), fc.constant(0)), { maxLength: 4 }),
    })
    .map((t) => (w: PickleWriter) => void w.tensor({ key: '0', ...t })),
);
/** A value's opcodes: scalars, strings, a memo GET, a tensor. */
const leaf: fc.Arbitrary<Write> = fc.oneof(
  fc.constant<Write>((w) => w.none()),
  fc.boolean().map((b): Write => (w) => w.bool(b)),
  fc.integer().map((n): Write => (w) => w.int(n)),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n): Write => (w) => w.long(n)),
  fc.double().map((x): Write => (w) => w.float(x)),
  fc.string({ maxLength: 6, unit: 'grapheme' }).map((t): Write => (w) => w.str(t)),
  fc.oneof(fc.string({ maxLength: 6 }).map((t) => new TextEncoder().encode(t)), fc.uint8Array({ maxLength: 6 })).map((b): Write => (w) => w.binstring(b)),
  fc.nat(8).map((i): Write => (w) => w.get(i)),
  fc
    .record({ offset: fc.nat(40), size: fc.array(fc.nat(6), { maxLength: 3 }), stride: fc.array(fc.nat(12), { maxLength: 3 }) })
    .map((t): Write => (w) => w.tensor({ key: '0', numel: 32, ...t, stride: t.size.map((_, i) => t.stride[i] ?? 1) })),
);
const opcodeStream = fc.array(token, { maxLength: 60 }).map((tokens) => {
  const w = new PickleWriter().proto();
  for (const t of tokens) t(w);
  return withStorage(w.stop().bytes());
});

/** A legacy torch.save stream around `object` (magic, protocol, sys_info, object, keys ['0'], storage 0 of 32 floats). */
function legacyWith(object: Uint8Array): Uint8Array {
  const parts = [
    new PickleWriter().proto(2).long(0x1950a86a20f9469cfc6cn).stop().bytes(),
    new PickleWriter().proto(2).int(1001).stop().bytes(),
    new PickleWriter().proto(2).emptyDict().str('little_endian').bool(true).setitem().stop().bytes(),
    object,
    new PickleWriter().proto(2).emptyList().str('0').append().stop().bytes(),
    Uint8Array.of(32, 0, 0, 0, 0, 0, 0, 0),
    STORAGE['0'],
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
const legacyOpcodeStream = fc.array(token, { maxLength: 60 }).map((tokens) => {
  const w = new PickleWriter().proto();
  for (const t of tokens) t(w);
  return legacyWith(w.stop().bytes());
});

/** Valid pickles of random values: nested lists, tuples and dicts, memo puts and gets, tensors. */
const { value: pickledValue } = fc.letrec<{ value: Write }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }).map((items): Write => (w) => {
      w.emptyList().mark();
      for (const item of items) item(w);
      w.appends();
    }),
    fc.array(tie('value'), { maxLength: 4 }).map((items): Write => (w) => {
      w.mark();
      for (const item of items) item(w);
      w.tuple();
    }),
    fc.array(fc.tuple(fc.string({ maxLength: 3 }), tie('value')), { maxLength: 4 }).map((pairs): Write => (w) => {
      w.emptyDict().mark();
      for (const [k, v] of pairs) {
        w.str(k);
        v(w);
      }
      w.setitems();
    }),
    fc.tuple(tie('value'), fc.nat(8)).map(([v, i]): Write => (w) => {
      v(w);
      w.put(i);
    }),
  ),
})) as { value: fc.Arbitrary<Write> };
const validPickles = pickledValue.map((v) => {
  const w = new PickleWriter().proto();
  v(w);
  return w.stop().bytes();
});

describe('fuzz: torch zip reader and unpickler', () => {
  it('random bytes, and random bytes after a zip header', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), checkTorch), { ...settings, examples: examples(REGRESSIONS.torch) });
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }).map(withStorage), checkTorch), settings);
  });
  it('real zips, mutated (lengths, offsets, counts, zip64 markers)', async () => {
    await fc.assert(fc.asyncProperty(mutated([...TORCH_FILES, withStorage(TENSOR_PICKLE)]), checkTorch), settings);
  });
  it('opcode streams (memo indices, nesting, globals, tensor geometry)', async () => {
    await fc.assert(fc.asyncProperty(opcodeStream, checkTorch), settings);
  });
  it('pickles of random nested values, as written and mutated', async () => {
    await fc.assert(fc.asyncProperty(validPickles.map(withStorage), checkTorch), settings);
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(validPickles, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([p, ms]) => withStorage(mutate(p, ms))),
        checkTorch,
      ),
      settings,
    );
  });
  it('real pickles, mutated (opcodes, memo indices, repeated ranges)', async () => {
    await fc.assert(fc.asyncProperty(mutated(PICKLES).map(withStorage), checkTorch), settings);
  });
});

describe('fuzz: legacy torch.save streams and SD .ckpt files', () => {
  const LEGACY = ['ckpt-sd1-lightning-legacy.ckpt', 'ti-my-style-legacy.pt'].map((f) => fixture(path.join(EXTRAS, f)));
  const CKPT = fixture(path.join(EXTRAS, 'ckpt-sd1-lightning.ckpt'));
  it('real legacy files, mutated (magic, counts, keys, storages)', async () => {
    await fc.assert(fc.asyncProperty(mutated(LEGACY), checkTorch), settings);
  }, Math.max(60_000, RUNS * 40));
  it('opcode streams and random values inside a legacy stream', async () => {
    await fc.assert(fc.asyncProperty(legacyOpcodeStream, checkTorch), settings);
    await fc.assert(fc.asyncProperty(validPickles.map(legacyWith), checkTorch), settings);
  });
  /** The .ckpt cases cost ~15 ms each: a long run (SDTEXT_FUZZ_RUNS) gets the time it needs. */
  const LONG = Math.max(60_000, RUNS * 40);
  it('a Lightning .ckpt, mutated, read whole', async () => {
    await fc.assert(fc.asyncProperty(mutated([CKPT]), checkTorch), settings);
  }, LONG);
  it('a Lightning .ckpt and a legacy one, mutated, planned and read as a single file', async () => {
    const asSingleFile = async (bytes: Uint8Array): Promise<void> => {
      const files: ModelFiles = { name: 'fuzz', readText: async () => null, openBytes: async () => memoryReader(bytes, 'fuzz/x.ckpt') };
      const opened = await openTextModelCheckpoint(files, { singleFile: { file: 'x.ckpt', config: { num_attention_heads: 4, num_hidden_layers: 2 } } });
      for await (const w of opened.weights()) void w;
    };
    await fc.assert(
      fc.asyncProperty(mutated([CKPT, ...LEGACY.slice(0, 1)]), (bytes) =>
        bounded(() => asSingleFile(bytes), [TorchFileError, CheckpointError, ConfigError, SafetensorsError, TruncatedError]),
      ),
      settings,
    );
  }, LONG);
});

describe('fuzz: LoRA and LyCORIS files', () => {
  const PARTS = ['lora_up.weight', 'lora_down.weight', 'alpha', 'dora_scale', 'hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b', 'hada_t1', 'lokr_w1', 'lokr_w1_a', 'lokr_w1_b', 'lokr_w2', 'lokr_w2_a', 'lokr_w2_b', 'lokr_t2', 'lora_mid.weight', 'diff', 'on_input', 'oft_blocks', 'lora_A.weight', 'lora_B.default.weight', 'lora_magnitude_vector', 'hada_w1_a.default'];
  const key = fc
    .tuple(
      fc.oneof(fc.constantFrom('lora_te_', 'lora_te1_', 'lora_te2_', 'lora_te3_', 'text_encoder.', 'text_encoder_2.', 'lora_unet_', 'unet.', ''), fc.string({ maxLength: 6 })),
      fc.oneof(
        fc.constantFrom('text_model_encoder_layers_0_self_attn_q_proj', 'text_model_encoder_layers_11_mlp_fc2', 'text_model.encoder.layers.3.mlp.fc1', 'text_model.encoder.layers.1.self_attn.out_proj', 'text_model_embeddings_token_embedding'),
        fc.string({ maxLength: 12 }),
      ),
      fc.oneof(fc.constantFrom(...PARTS), fc.string({ maxLength: 8 })),
      fc.constantFrom('.', '_', ''),
    )
    .map(([prefix, module, part, sep]) => `${prefix}${module}${sep}${part}`);
  it('key names: a part of a text encoder Linear, null, or a LoraError', async () => {
    await fc.assert(fc.asyncProperty(key, (k) => bounded(() => parseLoraKey(k, 'fuzz'), [LoraError])), settings);
  });

  /** A safetensors file of random LyCORIS parts for one or two Linears, random small shapes. */
  const module = fc.constantFrom('lora_te_text_model_encoder_layers_0_self_attn_q_proj', 'text_encoder.text_model.encoder.layers.0.mlp.fc1');
  const part = fc.record({
    module,
    part: fc.constantFrom(...PARTS.slice(0, 15)),
    shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
    value: fc.oneof(fc.double({ min: -4, max: 4, noNaN: true }), fc.constant(Number.NaN), fc.constant(0)),
  });
  const randomLycoris = fc.array(part, { minLength: 1, maxLength: 8 }).map((parts) => {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const p of parts) tensors.set(`${p.module}.${p.part}`, { shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(p.value) });
    return serializeSafetensors(tensors);
  });
  /** Reads the file and merges each adapter into a weight of its own shape (kept small). */
  const readAndMerge = async (bytes: Uint8Array): Promise<void> => {
    const lora = await readLora(bytes, { name: 'fuzz-lora' });
    for (const layers of lora.encoders.values()) {
      for (const [name, layer] of layers) {
        if (layer.outFeatures * layer.inFeatures > 100_000) continue;
        mergeLoraInto(new Float32Array(layer.outFeatures * layer.inFeatures).fill(0.5), [layer.outFeatures, layer.inFeatures], name, [{ layer, scale: 0.7, file: lora.file }]);
      }
    }
  };
  const LYCORIS = ['lycoris-loha-sd1.safetensors', 'lycoris-lokr-sd1.safetensors', 'lycoris-locon-dora-sd2.safetensors', 'lycoris-sdxl.safetensors', 'lora-kohya-sd1.safetensors'].map((f) =>
    fixture(path.join(EXTRAS, f)),
  );
  const LORA_ERRORS = [LoraError, SafetensorsError, TruncatedError, TorchFileError];
  it('random parts and shapes: read, checked, merged, or a LoraError naming them', async () => {
    await fc.assert(fc.asyncProperty(randomLycoris, (bytes) => bounded(() => readAndMerge(bytes), LORA_ERRORS)), settings);
  });
  it('real LyCORIS files, mutated', async () => {
    await fc.assert(fc.asyncProperty(mutated(LYCORIS), (bytes) => bounded(() => readAndMerge(bytes), LORA_ERRORS)), settings);
  });
});

describe('fuzz: textual inversion files', () => {
  const TI_FILES = ['ti-cat-toy.safetensors', 'ti-sdxl.safetensors', 'ti-my-style.pt', 'ti-dog.bin'].map((f) => fixture(path.join(EXTRAS, f)));
  it('real files, mutated', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(TI_FILES), (bytes) => bounded(() => readTextualInversion(bytes, { name: 'fuzz-ti' }), [TextualInversionError, TorchFileError, SafetensorsError])),
      { ...settings, examples: examples(REGRESSIONS.textualInversion) },
    );
  });
});
