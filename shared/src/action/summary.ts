// Job summary helpers: headings, tables and collapsible blocks, collected during the step and
// appended to the runner's GITHUB_STEP_SUMMARY file once at the end.
import { appendFile } from 'node:fs/promises';
import { EOL } from 'node:os';

let buffer = '';

/** Escapes text for a Markdown/HTML table cell. */
export function cell(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;');
}

export function addHeading(text: string, level = 3): void {
  const n = Math.min(Math.max(Math.trunc(level), 1), 6);
  buffer += `<h${n}>${cell(text)}</h${n}>${EOL}`;
}

/** A table; header and row cells are plain text (escaped here). */
export function addTable(headers: string[], rows: string[][]): void {
  const head = `<tr>${headers.map((h) => `<th>${cell(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('');
  buffer += `<table>${head}${body}</table>${EOL}`;
}

/** A collapsed block; `markdown` is rendered inside it. */
export function addDetails(label: string, markdown: string): void {
  buffer += `<details><summary>${cell(label)}</summary>\n\n${markdown}\n\n</details>\n${EOL}`;
}

export function addText(markdown: string): void {
  buffer += `${markdown}\n${EOL}`;
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
