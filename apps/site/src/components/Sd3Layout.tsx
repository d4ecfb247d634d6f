import React from 'react';
import clsx from 'clsx';
import styles from './Sd3Layout.module.css';

/** What SD3's prompt_embeds [1, 77 + 256, 4096] holds, drawn to scale along the width. */
export default function Sd3Layout(): React.JSX.Element {
  const width = 4096;
  const pct = (n: number): string => `${(100 * n) / width}%`;
  return (
    <div className="sd-widget" data-testid="sd3-layout" role="img" aria-label="SD3 prompt embeddings: 77 CLIP rows of CLIP-L 768, CLIP-G 1280 and 2048 zeros, then 256 T5 rows of 4096">
      <div className={styles.layout}>
        <div className={styles.label}>rows 0–76</div>
        <div className={styles.layoutRow}>
          <div className={clsx(styles.block, styles.clipL)} style={{ width: pct(768) }}>CLIP-L 768</div>
          <div className={clsx(styles.block, styles.clipG)} style={{ width: pct(1280) }}>CLIP-G 1280</div>
          <div className={clsx(styles.block, styles.zeros)} style={{ width: pct(2048) }}>zeros 2048</div>
        </div>
        <div className={styles.label}>rows 77–332</div>
        <div className={styles.layoutRow} style={{ minHeight: '5rem' }}>
          <div className={clsx(styles.block, styles.t5)} style={{ width: '100%' }}>T5-XXL last_hidden_state, 4096 (256 tokens)</div>
        </div>
      </div>
      <p className="sd-widget__hint">pooled_prompt_embeds [1, 2048] = CLIP-L's pooled 768 ‖ CLIP-G's 1280: the vector the MMDiT's timestep embedding gets.</p>
    </div>
  );
}
