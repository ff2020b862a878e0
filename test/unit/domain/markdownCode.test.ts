import fc from 'fast-check';
import { markdownCode } from '../../../src/domain/markdownCode';

/**
 * What a CommonMark renderer shows for `span` when it is one code span (spec 0.31, "Code spans"):
 * the text between an opening backtick run and the next run of the same length, line endings as
 * spaces, one space stripped from each side when both sides have one and not everything is a
 * space. Undefined when `span` is not exactly one code span (e.g. the fence closes early).
 */
function codeSpanContent(span: string): string | undefined {
  const opening = /^`+/.exec(span)?.[0];
  if (!opening) return undefined;
  const runs = /`+/g;
  runs.lastIndex = opening.length;
  let run: RegExpExecArray | null;
  while ((run = runs.exec(span)) && run[0].length !== opening.length);
  if (!run || run.index + run[0].length !== span.length) return undefined;
  const content = span.slice(opening.length, run.index).replace(/\r\n|\r|\n/g, ' ');
  const stripped = content.startsWith(' ') && content.endsWith(' ') && !/^ +$/.test(content);
  return stripped ? content.slice(1, -1) : content;
}

describe('markdownCode: an id as a Markdown code span, shown as written', () => {
  it('fences an id with a single backtick; "--" and underscores stay inside it', () => {
    expect(markdownCode('dlv_0mx3rj--x_y_')).toBe('`dlv_0mx3rj--x_y_`');
    expect(markdownCode('ui--_x_--call')).toBe('`ui--_x_--call`');
  });

  it('fences content with backticks in a run longer than the longest inside', () => {
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('a``b`c')).toBe('```a``b`c```');
  });

  it('pads content that starts or ends with a backtick, so it does not join the fence', () => {
    expect(markdownCode('`')).toBe('`` ` ``');
    expect(markdownCode('`call')).toBe('`` `call ``');
    expect(markdownCode('call``')).toBe('``` call`` ```');
  });

  it('pads content the renderer would strip a space from, and only that', () => {
    expect(markdownCode(' a ')).toBe('`  a  `');
    expect(markdownCode(' a')).toBe('` a`');
    expect(markdownCode('   ')).toBe('`   `');
  });

  it('writes line breaks as the spaces a code span shows for them', () => {
    expect(markdownCode('a\nb\r\nc')).toBe('`a b c`');
  });

  it('is empty for empty text (no code span is empty)', () => {
    expect(markdownCode('')).toBe('');
  });

  it('renders back to the text for any single-line text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('`', ' ', '-', '_', '*', 'a', '\t', '<', '\\'), minLength: 1, maxLength: 12 }), (text) => {
        expect(codeSpanContent(markdownCode(text))).toBe(text);
      }),
      { numRuns: 2_000 },
    );
  });
});
