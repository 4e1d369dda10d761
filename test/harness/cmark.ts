// Job summaries rendered the way GitHub renders them: cmark-gfm (Debian package cmark-gfm, the
// engine GitHub's markdown comes from) with raw HTML and tables, then the text a reader sees,
// and what in that text is markdown that did not render.
import { spawnSync } from 'node:child_process';

/** The summary as HTML; throws (never skips) when cmark-gfm is missing. */
export function renderSummary(markdown: string): string {
  const r = spawnSync('cmark-gfm', ['--unsafe', '-e', 'table', '-e', 'strikethrough', '-e', 'autolink'], {
    input: markdown,
    encoding: 'utf8',
  });
  if (r.error)
    throw new Error(
      `cmark-gfm is not installed (Debian package cmark-gfm; bash scripts/install-deps.sh): ${r.error.message}`,
    );
  if (r.status !== 0) throw new Error(`cmark-gfm failed: ${r.stderr}`);
  return r.stdout;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#124': '|' };

/** The text of rendered HTML as a reader sees it (tags dropped, entities decoded). */
export function visibleText(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, name: string) => {
    if (ENTITIES[name] !== undefined) return ENTITIES[name] as string;
    if (/^#x/i.test(name)) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return m;
  });
}

/** Markdown that shows raw in rendered text: bold markers, backticks, pipe tables, headings, quotes. */
export function literalMarkdown(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    if (/\*\*|__\S/.test(line)) found.push(`bold markers: ${line}`);
    if (line.includes('`')) found.push(`backticks: ${line}`);
    if (/^\s*\|.*\|\s*$/.test(line) || /^\s*\|?\s*:?-{3,}/.test(line)) found.push(`pipe table: ${line}`);
    if (/^\s*#{1,6}\s/.test(line)) found.push(`heading marker: ${line}`);
    if (/^\s*>\s/.test(line)) found.push(`quote marker: ${line}`);
  }
  return found;
}
