import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';
import { golden } from './golden-cases.js';

const tokenizer = CLIPTokenizer.fromPreset('sd1');

describe('bpeTrace: the BPE loop step by step', () => {
  it('shows the seed word "highres" as bytes, byte symbols and merges', () => {
    const trace = tokenizer.bpeTrace('highres');
    expect(trace.bytes).toEqual([104, 105, 103, 104, 114, 101, 115]);
    expect(trace.byteSymbols).toEqual(['h', 'i', 'g', 'h', 'r', 'e', 's</w>']);
    expect(trace.steps.at(-1)!.symbols).toEqual(['high', 'res</w>']);
    expect(trace.ids).toEqual(tokenizer.convertTokensToIds(['high', 'res</w>']));
    // Ranks rise step by step: the lowest-ranked pair always goes first.
    trace.steps.forEach((s, i) => i > 0 && expect(s.rank).toBeGreaterThan(trace.steps[i - 1]!.rank));
    expect(trace.steps[0]).toMatchObject({ rank: 3, pair: ['r', 'e'], merged: 're', count: 1 }); // merges.txt line 4: "r e"
  });

  it('merges every occurrence of the best pair in one step, and shows non-ASCII bytes as GPT-2 symbols', () => {
    const trace = tokenizer.bpeTrace('lalalalala');
    const twice = trace.steps.find((s) => s.count > 1)!;
    expect(twice.count).toBeGreaterThan(1);
    // After the step, the pair is nowhere left.
    expect(twice.symbols.some((s, i) => s === twice.pair[0] && twice.symbols[i + 1] === twice.pair[1])).toBe(false);
    const emoji = tokenizer.bpeTrace('😀');
    expect(emoji.bytes).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(emoji.byteSymbols).toEqual(['ð', 'Ł', 'ĺ', 'Ģ</w>']);
  });

  it("ends on the tokenizer's own ids for every word of the 169 golden prompts", () => {
    let words = 0;
    for (const { fixed_text: text } of golden.modes['<|endoftext|>'].results) {
      for (const word of tokenizer.preTokenize(text)) {
        if (word === '<|startoftext|>' || word === '<|endoftext|>') continue; // specials bypass BPE
        expect(tokenizer.bpeTrace(word).ids, word).toEqual(tokenizer.encode(word, { addSpecialTokens: false }).inputIds);
        words++;
      }
    }
    expect(words).toBeGreaterThan(1000);
  });

  it('refuses what is not one word', () => {
    expect(() => tokenizer.bpeTrace('')).toThrow(/non-empty word/);
  });
});
