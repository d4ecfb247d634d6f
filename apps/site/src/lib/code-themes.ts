// The code colours: prism-react-renderer's github (light) and dracula (dark) themes with the token
// colours that read below WCAG AA's 4.5:1 on their own backgrounds made darker (light) or lighter
// (dark): github's comments were 2.8:1, its numbers 2.6:1; dracula's comments 3.0:1. Used by the
// docs' code blocks (docusaurus.config.ts) and the cells' editors alike.
import { themes, type PrismTheme } from 'prism-react-renderer';

function recolor(theme: PrismTheme, colors: Record<string, string>): PrismTheme {
  return {
    ...theme,
    styles: theme.styles.map((s) => {
      const color = s.types.map((t) => colors[t]).find((c) => c !== undefined);
      return color ? { ...s, style: { ...s.style, color } } : s;
    }),
  };
}

export const lightCodeTheme: PrismTheme = recolor(themes.github, {
  comment: '#6e6e5e', // 4.9:1 on #f6f8fa (was #999988)
  string: '#c70f5e', // 5.4:1 (was #e3116c, 4.3:1)
  number: '#1f7a78', // 4.8:1 (was #36acaa)
  atrule: '#0070a0', // 5.1:1 (was #00a4db)
  function: '#b92b3a', // 5.7:1 (was #d73a49, 4.4:1)
});

export const darkCodeTheme: PrismTheme = recolor(themes.dracula, {
  comment: 'rgb(140, 155, 200)', // 5.2:1 on #282a36 (was rgb(98, 114, 164))
});
