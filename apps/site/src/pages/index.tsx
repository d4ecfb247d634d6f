import React from 'react';
import Link from '@docusaurus/Link';
import Layout from '@theme/Layout';

const PAGES = [
  { to: '/tutorial/setup', title: '1. Setup', text: 'Install the packages; choose the engine (ONNX Runtime Web or TensorFlow.js) and the backend.' },
  { to: '/tutorial/pipeline', title: '2. Pipeline', text: 'Load stabilityai/stable-diffusion-2-base; reach its tokenizer and text encoder.' },
  { to: '/tutorial/tokenizer', title: '3. Tokenizer', text: 'Tokens, ids, BPE merges, padding to 77, attention masks, decoding, the vocabulary.' },
  { to: '/tutorial/text-encoder', title: '4. Text encoder', text: 'The module tree, one forward pass, hidden states, pooler_output, attention, CLIP.' },
  { to: '/tutorial/to-the-unet', title: '5. To the UNet', text: 'The 77 × 1024 conditioning, the empty prompt for guidance, clip skip, the 75-token limit.' },
  { to: '/tutorial/prompts', title: '6. Prompts', text: 'Weights, BREAK and 77-token chunks as A1111, ComfyUI and compel read a prompt.' },
  { to: '/tutorial/beyond-clip', title: '7. Beyond CLIP', text: "T5 in SD3 and Flux: Unigram instead of BPE, relative position buckets, no causal mask, SD3's [1, 333, 4096]." },
];

export default function Home(): React.JSX.Element {
  return (
    <Layout title="The text half of Stable Diffusion" description="The SD2 tokenizer and text encoder, step by step, running in your browser">
      <main className="container margin-vert--xl">
        <h1>The text half of Stable Diffusion, step by step</h1>
        <p>
          A runnable walk through Stable Diffusion 2&apos;s tokenizer and CLIP text encoder, following the notebook tutorial{' '}
          <em>Stable Diffusion from Beginner to Master (4): Text Encoder and Tokenizer</em> (the original), then three chapters past it. Every
          code cell runs in this page, on the <code>@sdtext</code> packages, and prints what the original printed.
        </p>
        <div className="row">
          {PAGES.map((p) => (
            <div key={p.to} className="col col--4 margin-bottom--md" data-testid="chapter">
              <Link to={p.to} className="card padding--md" style={{ height: '100%' }}>
                <h3>{p.title}</h3>
                <p>{p.text}</p>
              </Link>
            </div>
          ))}
        </div>
      </main>
    </Layout>
  );
}
