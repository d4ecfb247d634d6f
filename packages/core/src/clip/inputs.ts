import { FLOAT32_MIN, type PreparedInputs } from '../inputs.js';

/**
 * The additive attention mask [B, 1, S, S]: HF's causal mask (min above the diagonal) plus
 * `_prepare_4d_attention_mask` ((1 - mask) * min over the keys). Summed in float32 like PyTorch,
 * so a key blocked by both becomes -inf there too.
 */
export function buildAttentionMask({ batch, seqLen, mask }: PreparedInputs): Float32Array {
  const out = new Float32Array(batch * seqLen * seqLen);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < seqLen; i++) {
      const row = (b * seqLen + i) * seqLen;
      for (let j = 0; j < seqLen; j++) {
        const causal = j > i ? FLOAT32_MIN : 0;
        const padding = mask && mask[b * seqLen + j] === 0 ? FLOAT32_MIN : 0;
        out[row + j] = causal + padding; // Float32Array storage rounds (min + min overflows to -inf)
      }
    }
  }
  return out;
}

/**
 * The position pooled per row. HF: with eos_token_id == 2 (configs older than the fix) the argmax
 * of the ids (the first maximum: EOS has the highest id in CLIP's vocabulary); otherwise the first
 * position equal to eos_token_id (0 when the row has none, as torch's argmax of all zeros).
 */
export function poolingPositions({ batch, seqLen, ids }: PreparedInputs, eosTokenId: number): number[] {
  const positions: number[] = [];
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let s = 0; s < seqLen; s++) {
      const id = ids[b * seqLen + s]!;
      if (eosTokenId === 2 ? id > ids[b * seqLen + best]! : id === eosTokenId) {
        best = s;
        if (eosTokenId !== 2) break;
      }
    }
    positions.push(best);
  }
  return positions;
}
