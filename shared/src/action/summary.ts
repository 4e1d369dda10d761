// Job summary helpers: tables and collapsible blocks, written once at the end of a step.
import * as core from '@actions/core';

export const summary = core.summary;

/** Escapes text for a Markdown/HTML table cell. */
export function cell(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;');
}

export function addHeading(text: string, level = 3): void {
  summary.addHeading(text, level);
}

export function addTable(headers: string[], rows: string[][]): void {
  summary.addTable([headers.map((h) => ({ data: h, header: true })), ...rows.map((r) => r.map((c) => cell(c)))]);
}

/** A collapsed block; `markdown` is rendered inside it. */
export function addDetails(label: string, markdown: string): void {
  summary.addRaw(`<details><summary>${cell(label)}</summary>\n\n${markdown}\n\n</details>\n`, true);
}

export function addText(markdown: string): void {
  summary.addRaw(`${markdown}\n`, true);
}

/** Writes the summary when the runner provides a summary file; otherwise drops it quietly. */
export async function writeSummary(): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    summary.emptyBuffer();
    return;
  }
  await summary.write();
}
