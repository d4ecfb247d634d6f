import * as fs from 'node:fs';
const { loadCheckpointWeights, buildClipTextGraph } = await import('/work/main/packages/onnx/dist/index.js');
const { createSession } = await import('/work/main/packages/onnx/dist/session.js');
const mem = () => { const s = fs.readFileSync('/proc/self/status', 'utf8'); return `hwm ${+s.match(/VmHWM:\s+(\d+)/)[1] / 1024 | 0} rss ${+s.match(/VmRSS:\s+(\d+)/)[1] / 1024 | 0}`; };
let c = process.cpuUsage(), t = performance.now();
const lap = (what) => { const cu = process.cpuUsage(c); console.log(what, 'wall', (performance.now() - t) | 0, 'cpu', ((cu.user + cu.system) / 1000) | 0, mem()); c = process.cpuUsage(); t = performance.now(); };
const style = process.argv[2] ?? 'fused';
const w = await loadCheckpointWeights('/work/main/models/generated/sd2-random', { subfolder: 'text_encoder', variant: 'fp16' });
lap('weights');
const g = buildClipTextGraph(w, { style, weights: 'external', hiddenStates: true });
const bytes = new Uint8Array(g.byteLength); let at = 0; for (const ch of g.chunks) { bytes.set(ch, at); at += ch.length; }
lap('graph ' + g.byteLength);
const extra = process.argv[3] ? JSON.parse(process.argv[3]) : {};
const s = await createSession(bytes, g.externalFiles, { threads: 2, ...extra });
lap('session');
const ids = Array.from({ length: 77 }, (_, i) => BigInt(i === 0 ? 49406 : i < 10 ? 320 + i : 49407));
const T = s.runtime.ort.Tensor;
for (let i = 0; i < 4; i++) {
  await s.session.run({ input_ids: new T('int64', BigInt64Array.from([...ids, ...ids]), [2, 77]), attention_mask: new T('int64', new BigInt64Array(154).fill(1n), [2, 77]) }, ['last_hidden_state']);
  lap('run');
}
