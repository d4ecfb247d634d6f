// A cell's code comes as fenced code blocks inside <Cell>…</Cell> in the MDX: MDX keeps a fenced
// block's text byte for byte, where a template literal in a JSX attribute loses two spaces of
// indentation on every line. This reads the blocks back out of the rendered MDX elements.
import React from 'react';

export interface CellSources {
  /** The JavaScript the cell runs (```js). */
  js: string | null;
  /** The seed's Python for the same step (```python), shown in a tab beside the JS. */
  python: string | null;
}

function textOf(node: React.ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (React.isValidElement<{ children?: React.ReactNode }>(node)) return textOf(node.props.children);
  return '';
}

/** The ```js and ```python blocks among an MDX element's children (each `pre > code.language-x`). */
export function cellSources(children: React.ReactNode): CellSources {
  const found: CellSources = { js: null, python: null };
  const visit = (node: React.ReactNode): void => {
    React.Children.forEach(node, (child) => {
      if (!React.isValidElement<{ className?: string; children?: React.ReactNode }>(child)) return;
      const language = /\blanguage-(\w+)/.exec(child.props.className ?? '')?.[1];
      if (language) {
        const text = textOf(child.props.children).replace(/\n$/, '');
        if ((language === 'js' || language === 'javascript') && found.js === null) found.js = text;
        else if ((language === 'python' || language === 'py') && found.python === null) found.python = text;
        return;
      }
      visit(child.props.children);
    });
  };
  visit(children);
  return found;
}
