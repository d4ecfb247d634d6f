/** One field of a protobuf message as it is on the wire. */
export type ProtoField =
  /** `value` is the varint as an unsigned number (exact below 2^53); `int32` its low 32 bits, signed. */
  | { readonly field: number; readonly wireType: 0; readonly value: number; readonly int32: number }
  | { readonly field: number; readonly wireType: 1; readonly bytes: Uint8Array }
  | { readonly field: number; readonly wireType: 2; readonly bytes: Uint8Array }
  | { readonly field: number; readonly wireType: 5; readonly bytes: Uint8Array };

/**
 * The fields of one protobuf message, in order, without a schema (proto2 wire format: varints,
 * 64-bit, length-delimited and 32-bit fields). Groups are refused. `where` names the message in
 * errors, e.g. "tokenizer/spiece.model: ModelProto.trainer_spec".
 */
export function readProtoFields(bytes: Uint8Array, where: string): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`${where}: not a valid protobuf message (${what} at byte ${pos} of ${bytes.length})`);
  };
  let low32 = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    low32 = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) return fail('truncated varint');
      const byte = bytes[pos++]!;
      // Past 2^53 `value` loses precision; the fields read here (ids, sizes, flags) are small,
      // and negative int32 values (10-byte varints) are read from their exact low 32 bits.
      value += (byte & 0x7f) * scale;
      if (i < 5) low32 = (low32 | ((byte & 0x7f) << (7 * i))) >>> 0;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    return fail('varint longer than 10 bytes');
  };
  const take = (length: number): Uint8Array => {
    if (pos + length > bytes.length) fail(`field of ${length} bytes runs past the end`);
    const slice = bytes.subarray(pos, pos + length);
    pos += length;
    return slice;
  };
  while (pos < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) fail('field number 0');
    switch (wireType) {
      case 0:
        fields.push({ field, wireType, value: varint(), int32: low32 | 0 });
        break;
      case 1:
        fields.push({ field, wireType, bytes: take(8) });
        break;
      case 2:
        fields.push({ field, wireType, bytes: take(varint()) });
        break;
      case 5:
        fields.push({ field, wireType, bytes: take(4) });
        break;
      default:
        fail(`wire type ${wireType} of field ${field}`);
    }
  }
  return fields;
}
