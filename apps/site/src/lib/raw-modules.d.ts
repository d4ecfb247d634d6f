// `?raw` imports: a file's text (webpack's asset/source, see docusaurus.config.ts).
declare module '*?raw' {
  const text: string;
  export default text;
}
