import { readProtoFields, type ProtoField } from './protobuf.js';

/** ModelProto.SentencePiece.Type of sentencepiece_model.proto. */
export type PieceType = 'normal' | 'unknown' | 'control' | 'user_defined' | 'unused' | 'byte';

const PIECE_TYPES: Readonly<Record<number, PieceType>> = {
  1: 'normal',
  2: 'unknown',
  3: 'control',
  4: 'user_defined',
  5: 'unused',
  6: 'byte',
};

export interface SentencePiece {
  readonly piece: string;
  /** A float32 as stored. */
  readonly score: number;
  readonly type: PieceType;
}

/** The parts of TrainerSpec that encoding and decoding read. */
export interface TrainerSpec {
  /** 1 unigram, 2 BPE, 3 word, 4 char. */
  readonly modelType: number;
  readonly byteFallback: boolean;
  readonly treatWhitespaceAsSuffix: boolean;
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** What Decode writes for the <unk> piece itself (default " ⁇ "). */
  readonly unkSurface: string;
}

export interface NormalizerSpec {
  readonly name: string;
  /** Empty for the identity normalizer. */
  readonly precompiledCharsmap: Uint8Array;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
}

/** A SentencePiece model file (spiece.model): the ModelProto message of SentencePiece 0.1.97. */
export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[];
  readonly trainerSpec: TrainerSpec;
  readonly normalizerSpec: NormalizerSpec;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function expectWireType(f: ProtoField, wireType: number, where: string): void {
  if (f.wireType !== wireType) {
    throw new Error(`${where}: field ${f.field} has wire type ${f.wireType}, expected ${wireType}`);
  }
}

function text(f: ProtoField, where: string): string {
  expectWireType(f, 2, where);
  try {
    return utf8.decode((f as { bytes: Uint8Array }).bytes);
  } catch {
    throw new Error(`${where}: field ${f.field} is not valid UTF-8`);
  }
}

function varint(f: ProtoField, where: string): { value: number; int32: number } {
  expectWireType(f, 0, where);
  return f as { value: number; int32: number };
}

function float32(f: ProtoField, where: string): number {
  expectWireType(f, 5, where);
  const { bytes } = f as { bytes: Uint8Array };
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

function readPiece(bytes: Uint8Array, where: string): SentencePiece {
  let piece = '';
  let score = 0;
  let type: PieceType = 'normal';
  for (const f of readProtoFields(bytes, where)) {
    if (f.field === 1) piece = text(f, where);
    else if (f.field === 2) score = float32(f, where);
    else if (f.field === 3) {
      const code = varint(f, where).value;
      const named = PIECE_TYPES[code];
      if (!named) throw new Error(`${where}: unknown piece type ${code}`);
      type = named;
    }
  }
  return { piece, score, type };
}

function readTrainerSpec(bytes: Uint8Array, where: string): TrainerSpec {
  // proto2 defaults of sentencepiece_model.proto.
  const spec = { modelType: 1, byteFallback: false, treatWhitespaceAsSuffix: false, unkId: 0, bosId: 1, eosId: 2, padId: -1, unkSurface: ' \u2047 ' };
  for (const f of readProtoFields(bytes, where)) {
    switch (f.field) {
      case 3:
        spec.modelType = varint(f, where).value;
        break;
      case 35:
        spec.byteFallback = varint(f, where).value !== 0;
        break;
      case 24:
        spec.treatWhitespaceAsSuffix = varint(f, where).value !== 0;
        break;
      case 40:
        spec.unkId = varint(f, where).int32;
        break;
      case 41:
        spec.bosId = varint(f, where).int32;
        break;
      case 42:
        spec.eosId = varint(f, where).int32;
        break;
      case 43:
        spec.padId = varint(f, where).int32;
        break;
      case 44:
        spec.unkSurface = text(f, where);
        break;
    }
  }
  return spec;
}

function readNormalizerSpec(bytes: Uint8Array, where: string): NormalizerSpec {
  const spec: { -readonly [K in keyof NormalizerSpec]: NormalizerSpec[K] } = { name: '', precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
  let ruleTsv = false;
  for (const f of readProtoFields(bytes, where)) {
    switch (f.field) {
      case 1:
        spec.name = text(f, where);
        break;
      case 2:
        expectWireType(f, 2, where);
        spec.precompiledCharsmap = (f as { bytes: Uint8Array }).bytes;
        break;
      case 3:
        spec.addDummyPrefix = varint(f, where).value !== 0;
        break;
      case 4:
        spec.removeExtraWhitespaces = varint(f, where).value !== 0;
        break;
      case 5:
        spec.escapeWhitespaces = varint(f, where).value !== 0;
        break;
      case 6:
        ruleTsv = true;
        break;
    }
  }
  if (ruleTsv && spec.precompiledCharsmap.length === 0) {
    throw new Error(`${where}: normalization_rule_tsv without a precompiled_charsmap is not supported (SentencePiece compiles the rules when training)`);
  }
  return spec;
}

/** `<0x41>` -> 0x41, or -1: SentencePiece's PieceToByte. */
export function byteOfPiece(piece: string): number {
  const match = /^<0x([0-9A-F]{2})>$/.exec(piece);
  return match ? parseInt(match[1]!, 16) : -1;
}

/**
 * Reads and checks a SentencePiece model file as SentencePiece 0.1.97 loads it
 * (ModelInterface::InitializePieces): non-empty unique pieces, one <unk>, 256 byte pieces when
 * byte_fallback is on. Only Unigram models are accepted (T5's); `file` names the file in errors.
 */
export function parseSentencePieceModel(bytes: Uint8Array, file: string): SentencePieceModel {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${file}: expected the bytes of a SentencePiece model`);
  const pieces: SentencePiece[] = [];
  let trainerSpec: TrainerSpec | undefined;
  let normalizerSpec: NormalizerSpec | undefined;
  for (const f of readProtoFields(bytes, `${file}: ModelProto`)) {
    if (f.wireType !== 2) continue;
    if (f.field === 1) pieces.push(readPiece(f.bytes, `${file}: ModelProto.pieces[${pieces.length}]`));
    else if (f.field === 2) trainerSpec = readTrainerSpec(f.bytes, `${file}: ModelProto.trainer_spec`);
    else if (f.field === 3) normalizerSpec = readNormalizerSpec(f.bytes, `${file}: ModelProto.normalizer_spec`);
    else if (f.field === 5) {
      const denormalizer = readNormalizerSpec(f.bytes, `${file}: ModelProto.denormalizer_spec`);
      if (denormalizer.precompiledCharsmap.length > 0) {
        throw new Error(`${file}: a denormalizer (ModelProto.denormalizer_spec) is not supported`);
      }
    }
  }
  if (pieces.length === 0) throw new Error(`${file}: no pieces: not a SentencePiece model`);
  trainerSpec ??= readTrainerSpec(new Uint8Array(0), file);
  normalizerSpec ??= readNormalizerSpec(new Uint8Array(0), file);
  if (trainerSpec.modelType !== 1) {
    const kind = ({ 2: 'BPE', 3: 'word', 4: 'char' } as Record<number, string>)[trainerSpec.modelType] ?? `type ${trainerSpec.modelType}`;
    throw new Error(`${file}: a ${kind} SentencePiece model; only Unigram models (T5's) are supported`);
  }
  if (trainerSpec.treatWhitespaceAsSuffix) {
    throw new Error(`${file}: treat_whitespace_as_suffix is not supported`);
  }
  const seen = new Set<string>();
  const bytesFound = new Set<number>();
  let unknownCount = 0;
  pieces.forEach(({ piece, type }, id) => {
    if (piece === '') throw new Error(`${file}: piece ${id} is empty`);
    if (seen.has(piece)) throw new Error(`${file}: piece ${JSON.stringify(piece)} (id ${id}) is defined twice`);
    seen.add(piece);
    if (type === 'unknown') unknownCount++;
    if (type === 'byte') {
      if (!trainerSpec.byteFallback) throw new Error(`${file}: byte piece ${piece} found although byte_fallback is false`);
      const byte = byteOfPiece(piece);
      if (byte < 0) throw new Error(`${file}: byte piece ${JSON.stringify(piece)} (id ${id}) is invalid`);
      bytesFound.add(byte);
    }
  });
  if (unknownCount !== 1) throw new Error(`${file}: ${unknownCount === 0 ? 'no <unk> piece' : 'more than one <unk> piece'}`);
  if (trainerSpec.byteFallback && bytesFound.size !== 256) {
    throw new Error(`${file}: byte_fallback is true but there are ${bytesFound.size} byte pieces, not 256`);
  }
  return { pieces, trainerSpec, normalizerSpec };
}
