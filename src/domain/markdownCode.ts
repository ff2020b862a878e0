/**
 * `text` as a CommonMark code span, for an id or any other token (call id, host) put into text
 * the Temporal UI renders as Markdown: a workflow's summary and details, current details, and
 * event summaries in newer UIs. Outside a code span the UI typesets it: "--" turns into an en
 * dash, `_x_` into italics, `<…>` disappears, and an operator copies a different id than the one
 * that exists. Inside one, every character shows as written (the UI may show the backticks
 * where it renders the text plain).
 *
 * CommonMark's rules: the fence is a backtick run longer than any run inside; a space pads the
 * content when it starts or ends with a backtick (it would join the fence) or both starts and
 * ends with a space (the renderer strips one from each side, so the pad is what it strips).
 * Line breaks render as spaces inside a code span, so they are turned into spaces here already.
 * Pure, and imported by workflow code.
 */
export function markdownCode(text: string): string {
  const content = text.replace(/\r\n|\r|\n/g, ' ');
  if (content === '') return '';
  const longestBacktickRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestBacktickRun + 1);
  const pad = needsPadding(content) ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

function needsPadding(content: string): boolean {
  if (content.startsWith('`') || content.endsWith('`')) return true;
  return content.startsWith(' ') && content.endsWith(' ') && !/^ +$/.test(content);
}
