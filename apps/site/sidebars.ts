import type { SidebarsConfig } from '@docusaurus/plugin-content-docs';

const sidebars: SidebarsConfig = {
  tutorial: ['setup', 'pipeline', 'tokenizer', 'text-encoder', 'to-the-unet', 'prompts', 'beyond-clip'],
};

export default sidebars;
