// Job summaries, collected during the step and appended to the runner's GITHUB_STEP_SUMMARY
// file once at the end. GitHub renders them with cmark-gfm, where the text after an HTML block
// up to the next blank line is still HTML: markdown written right after `<h2>…</h2>` or
// `</table>` shows raw (`**Source:**`, backticks, pipes). So there is one way to write here:
// every block is HTML built from plain text escaped here (`Inline` parts for code, bold, links),
// and every block ends with a blank line. `addText` and `addDetails` still take markdown for
// code written against them; they get their blank lines too.
import { appendFile } from 'node:fs/promises';
import { EOL } from 'node:os';

let buffer = '';

/** HTML made here (escaped already), as opposed to text still to escape. */
export interface Html {
  readonly html: string;
}

/**
 * Text inside a block: a string is plain text (escaped); `{code}`, `{strong}` and `{link, href}`
 * are plain text shown as code, bold or a link; an array is its parts one after the other.
 */
export type Inline =
  | string
  | Html
  | { readonly code: string }
  | { readonly strong: string }
  | { readonly link: string; readonly href: string }
  | readonly Inline[];

/** Escapes text for HTML (and for a Markdown table cell: `|` too). */
export function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\|/g, '&#124;');
}

/** An inline part as HTML. */
export function inline(part: Inline): string {
  if (typeof part === 'string') return cell(part);
  if (Array.isArray(part)) return part.map(inline).join('');
  const p = part as Exclude<Inline, string | readonly Inline[]>;
  if ('html' in p) return p.html;
  if ('code' in p) return `<code>${cell(p.code)}</code>`;
  if ('strong' in p) return `<strong>${cell(p.strong)}</strong>`;
  return /^https?:\/\//i.test(p.href) ? `<a href="${cell(p.href)}">${cell(p.link)}</a>` : cell(p.link);
}

/** Several values as code, separated (`a`, `b`, `c`). */
export function codes(values: readonly string[], separator = ', '): Inline {
  return values.map((v, i) => (i ? [separator, { code: v }] : { code: v }));
}

/** One block, ended by a blank line so that whatever follows is read as a new block. */
function block(html: string): void {
  // a blank line inside an HTML block would end it early: keep block text on its lines
  buffer += `${html.replace(/\n(?:[ \t]*\n)+/g, '\n')}${EOL}${EOL}`;
}

export function addHeading(text: Inline, level = 3): void {
  const n = Math.min(Math.max(Math.trunc(level), 1), 6);
  block(`<h${n}>${inline(text)}</h${n}>`);
}

/** A paragraph; several lines are separated by line breaks. */
export function addParagraph(...lines: Inline[]): void {
  block(`<p>${lines.map(inline).join('<br>\n')}</p>`);
}

export function addList(items: readonly Inline[], ordered = false): void {
  if (items.length === 0) return;
  const tag = ordered ? 'ol' : 'ul';
  block(`<${tag}>\n${items.map((i) => `<li>${inline(i)}</li>`).join('\n')}\n</${tag}>`);
}

export function addQuote(text: Inline): void {
  block(`<blockquote>${inline(text)}</blockquote>`);
}

export function addCodeBlock(code: string): void {
  // a <pre> block ends only at </pre>: its blank lines are kept
  buffer += `<pre><code>${cell(code)}</code></pre>${EOL}${EOL}`;
}

/** A table as HTML, for a block of its own or inside `addDetails`. */
export function table(headers: readonly Inline[], rows: readonly (readonly Inline[])[]): Html {
  const head = `<tr>${headers.map((h) => `<th>${inline(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('\n');
  return { html: `<table>\n${head}\n${body}\n</table>` };
}

/** A table; plain-text cells are escaped here. */
export function addTable(headers: readonly Inline[], rows: readonly (readonly Inline[])[]): void {
  block(table(headers, rows).html);
}

/** A collapsed block: `content` is HTML made here (`table(...)`), or markdown as before. */
export function addDetails(label: Inline, content: string | Html): void {
  if (typeof content !== 'string') {
    block(`<details><summary>${inline(label)}</summary>\n${content.html}\n</details>`);
    return;
  }
  // markdown inside HTML is rendered only when blank lines set it apart
  buffer += `<details><summary>${inline(label)}</summary>${EOL}${EOL}${content.trim()}${EOL}${EOL}</details>${EOL}${EOL}`;
}

/** Markdown, as a block of its own. Interpolated foreign text is the caller's to escape: prefer addParagraph. */
export function addText(markdown: string): void {
  buffer += `${markdown}${EOL}${EOL}`;
}

/** What has been collected so far (for tests and for callers that log it). */
export function summaryText(): string {
  return buffer;
}

/** Writes the summary when the runner provides a summary file; otherwise drops it quietly. */
export async function writeSummary(): Promise<void> {
  const text = buffer;
  buffer = '';
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file || text === '') return;
  await appendFile(file, text, 'utf8');
}
