import * as fs from 'node:fs';
const mode = process.argv[2];
const dir = '/tmp/onnxexp/ext';
const mem = () => { const s = fs.readFileSync('/proc/self/status', 'utf8'); return `hwm ${+s.match(/VmHWM:\s+(\d+)/)[1] / 1024 | 0} rss ${+s.match(/VmRSS:\s+(\d+)/)[1] / 1024 | 0}`; };
if (mode === 'write') {
  const { loadCheckpointWeights, buildClipTextGraph } = await import('/work/main/packages/onnx/dist/index.js');
  const w = await loadCheckpointWeights('/work/main/models/generated/sd2-random', { subfolder: 'text_encoder', variant: 'fp16' });
  const g = buildClipTextGraph(w, { style: 'fused', weights: 'external', hiddenStates: true });
  fs.mkdirSync(dir, { recursive: true });
  // rewrite: concatenate external files into weights.bin at 4096-aligned offsets; patch proto by rebuilding? simpler: write each as its own file
  for (const f of g.externalFiles) fs.writeFileSync(`${dir}/${f.path}`, f.data);
  const bytes = new Uint8Array(g.byteLength); let at = 0; for (const ch of g.chunks) { bytes.set(ch, at); at += ch.length; }
  fs.writeFileSync(`${dir}/model.onnx`, bytes);
} else {
  const ort = await import('onnxruntime-node');
  const t = performance.now();
  const s = await ort.InferenceSession.create(`${dir}/model.onnx`, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  console.log('create', (performance.now() - t) | 0, mem());
  const ids = BigInt64Array.from({ length: 154 }, (_, i) => BigInt(i % 77 === 0 ? 49406 : 49407));
  for (let i = 0; i < 3; i++) { const t1 = performance.now(); await s.run({ input_ids: new ort.Tensor('int64', ids, [2, 77]), attention_mask: new ort.Tensor('int64', new BigInt64Array(154).fill(1n), [2, 77]) }, ['last_hidden_state']); console.log('run', (performance.now() - t1) | 0, mem()); }
}
