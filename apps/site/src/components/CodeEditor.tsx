import React, { useCallback, useId, useRef } from 'react';
import { Highlight } from 'prism-react-renderer';
import { darkCodeTheme, lightCodeTheme } from '../lib/code-themes';
import { useColorMode } from '@docusaurus/theme-common';

interface Props {
  value: string;
  onChange: (value: string) => void;
  onRun: () => void;
  label: string;
}

/**
 * An editable code block: a transparent textarea over a Prism-highlighted copy of the same text
 * (same font, padding and wrapping, so the caret sits on the highlighted letters).
 * Shift+Enter or Ctrl+Enter runs the cell; Tab indents; Escape then Tab (or Shift+Tab) moves focus
 * on from the editor, as in CodeMirror: the focus stays put on Escape, so the next Tab continues from
 * here instead of from the top of the page (which is where a blur() sends it once the text changed).
 * A hint saying so shows in the editor's corner while it has the focus.
 */
export default function CodeEditor({ value, onChange, onRun, label }: Props): React.JSX.Element {
  const { colorMode } = useColorMode();
  const area = useRef<HTMLTextAreaElement>(null);
  const escaped = useRef(false);
  const hintId = useId();
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
      const leaving = escaped.current;
      escaped.current = e.key === 'Escape' || (leaving && e.key === 'Shift');
      if (e.key === 'Escape' || (e.key === 'Tab' && leaving)) {
        // Escape arms the next Tab; that Tab keeps its default: focus moves to the next control.
      } else if (e.key === 'Enter' && (e.shiftKey || e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        onRun();
      } else if (e.key === 'Tab' && !e.shiftKey) {
        e.preventDefault();
        // Two spaces at the caret, in the textarea itself, the caret after them at once; the input
        // event hands the new text to React. (Setting the text through React and moving the caret a
        // frame later let keys typed in between land at the end of the text.)
        const el = e.currentTarget;
        el.setRangeText('  ', el.selectionStart, el.selectionEnd, 'end');
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    },
    [onRun],
  );
  const theme = colorMode === 'dark' ? darkCodeTheme : lightCodeTheme;
  return (
    <div className="sd-editor" style={{ background: theme.plain.backgroundColor }}>
      <Highlight code={value.endsWith('\n') ? `${value} ` : value} language="javascript" theme={theme}>
        {({ tokens, getLineProps, getTokenProps }) => (
          <pre className="sd-editor__highlight" aria-hidden="true" style={{ color: theme.plain.color }}>
            {tokens.map((line, i) => (
              <div key={i} {...getLineProps({ line })}>
                {line.map((token, k) => (
                  <span key={k} {...getTokenProps({ token })} />
                ))}
              </div>
            ))}
          </pre>
        )}
      </Highlight>
      {/* Shown while the editor has the focus (sighted keyboard users need it too), and read as its description. */}
      <span id={hintId} className="sd-editor__hint" data-testid="editor-hint">
        Shift+Enter runs · Tab indents · <kbd>Esc</kbd> then <kbd>Tab</kbd> leaves the editor
      </span>
      <textarea
        ref={area}
        className="sd-editor__input"
        aria-label={label}
        aria-describedby={hintId}
        value={value}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        autoCorrect="off"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => {
          escaped.current = false;
        }}
        style={{ caretColor: theme.plain.color }}
      />
    </div>
  );
}
