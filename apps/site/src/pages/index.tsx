import React from 'react';
import Link from '@docusaurus/Link';
import Layout from '@theme/Layout';

const PAGES = [
  { to: '/tutorial/setup', title: '1. Setup', text: 'Install the packages; choose WebGPU, WebGL, wasm or cpu.' },
  { to: '/tutorial/pipeline', title: '2. Pipeline', text: 'Load stabilityai/stable-diffusion-2-base; reach its tokenizer and text encoder.' },
  { to: '/tutorial/tokenizer', title: '3. Tokenizer', text: 'Tokens, ids, padding to 77, attention masks, decoding, the vocabulary.' },
  { to: '/tutorial/text-encoder', title: '4. Text encoder', text: 'Hidden states, pooler_output, padding and causal attention, the module tree, CLIP.' },
];

export default function Home(): React.JSX.Element {
  return (
    <Layout title="The text half of Stable Diffusion" description="The SD2 tokenizer and text encoder, step by step, running in your browser">
      <main className="container margin-vert--xl">
        <h1>The text half of Stable Diffusion, step by step</h1>
        <p>
          A runnable walk through Stable Diffusion 2&apos;s tokenizer and CLIP text encoder, following{' '}
          <em>Stable Diffusion from Beginner to Master (4): Text Encoder and Tokenizer</em>. Every code cell runs in this page, on the{' '}
          <code>@sdtext</code> packages, and prints what the original printed.
        </p>
        <div className="row">
          {PAGES.map((p) => (
            <div key={p.to} className="col col--3 margin-bottom--md">
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
