// Summaries rendered with cmark-gfm, as GitHub renders them: every kind of block of the summary
// module shows as what it is, with no markdown left raw, and the same calls through
// @actions/core's summary render to the same text. Where they differ on purpose (ours escapes
// plain text; core writes HTML blocks without a blank line after them, so markdown that follows
// one shows raw), both sides are pinned.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addCodeBlock,
  addDetails,
  addHeading,
  addList,
  addParagraph,
  addQuote,
  addTable,
  addText,
  codes,
  summaryText,
  table,
  writeSummary,
} from '#shared/action/summary.js';
import { literalMarkdown, renderSummary, visibleText } from '../../harness/cmark.js';

let dir: string;
const saved = { ...process.env };
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'summary-'));
  await writeSummary(); // nothing left over from another test
});
afterEach(() => {
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

/** Collapses the whitespace between and around tags, so equal documents compare equal. */
const normal = (html: string) =>
  html
    .replace(/>\s+/g, '>')
    .replace(/\s+</g, '<')
    .replace(/<(thead|tbody)>|<\/(thead|tbody)>/g, '')
    .trim();

async function ours(calls: () => void): Promise<string> {
  const file = join(dir, `ours-${Math.random()}`);
  writeFileSync(file, '');
  process.env.GITHUB_STEP_SUMMARY = file;
  calls();
  await writeSummary();
  return readFileSync(file, 'utf8');
}

// core's summary keeps the first file it found for the whole process
const coreFile = join(tmpdir(), `summary-render-core-${process.pid}`);

async function theirs(calls: (s: typeof core.summary) => typeof core.summary): Promise<string> {
  const file = coreFile;
  writeFileSync(file, '');
  process.env.GITHUB_STEP_SUMMARY = file;
  await calls(core.summary.emptyBuffer()).write();
  return readFileSync(file, 'utf8');
}

describe('summary blocks rendered by cmark-gfm', () => {
  it('shows every block as what it is, markdown after HTML included', async () => {
    const md = await ours(() => {
      addHeading('Promotion', 2);
      addText('**Source:** `registry.example/app:1.0`');
      addParagraph([{ strong: 'Digest:' }, ' ', { code: 'sha256:abc' }], ['Tags: ', codes(['1.0', 'latest'])]);
      addTable(['tag', 'why'], [[{ code: 'v1' }, 'kept: newest 3']]);
      addText('after a table: *emphasis*');
      addList(['first', ['second with ', { code: 'code' }]]);
      addQuote('a note');
      addDetails('3 decisions', table(['a'], [['1'], ['2'], ['3']]));
      addDetails('markdown inside', '- item with `code`');
      addCodeBlock('line 1\n\nline 3 <tag>');
    });
    const html = renderSummary(md);
    expect(literalMarkdown(visibleText(html))).toEqual([]);
    expect(normal(html)).toContain(
      '<h2>Promotion</h2><p><strong>Source:</strong><code>registry.example/app:1.0</code></p>',
    );
    expect(normal(html)).toContain(
      '<p><strong>Digest:</strong><code>sha256:abc</code><br>Tags:<code>1.0</code>,<code>latest</code></p>',
    );
    expect(normal(html)).toContain('<p>after a table:<em>emphasis</em></p>');
    expect(normal(html)).toContain('<ul><li>first</li><li>second with<code>code</code></li></ul>');
    expect(normal(html)).toContain('<li>item with<code>code</code></li>');
    expect(normal(html)).toContain('<pre><code>line 1\n\nline 3 &lt;tag&gt;</code></pre>');
  });

  it('keeps foreign text as text: markup, markdown and blank lines in values do not escape their block', async () => {
    const hostile = 'evil\n\n**bold** `tick` <img src=x onerror=alert(1)> | a | b |\n|---|---|';
    const md = await ours(() => {
      addHeading(hostile);
      addParagraph(hostile, { code: hostile });
      addTable([hostile], [[hostile]]);
      addList([hostile]);
    });
    const html = renderSummary(md);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<strong>bold');
    // every copy is shown as the text it is (markdown characters included), inside its block
    expect(visibleText(html).split('**bold** `tick` <img src=x onerror=alert(1)>').length - 1).toBe(6);
  });
});

describe('summaries compared with @actions/core', () => {
  it('the same calls render the same HTML', async () => {
    const rows = [
      ['v1.2.3', 'kept'],
      ['pr-7', 'deleted'],
    ];
    const a = await theirs((s) =>
      s
        .addHeading('Image tags', 3)
        .addTable([
          [
            { data: 'tag', header: true },
            { data: 'why', header: true },
          ],
          ...rows,
        ])
        .addList(['one', 'two'])
        .addQuote('a note')
        .addDetails('more', 'hidden text')
        .addCodeBlock('x = 1')
        .addLink('docs', 'https://example.com/docs'),
    );
    const b = await ours(() => {
      addHeading('Image tags', 3);
      addTable(['tag', 'why'], rows);
      addList(['one', 'two']);
      addQuote('a note');
      addDetails('more', 'hidden text');
      addCodeBlock('x = 1');
      addParagraph({ link: 'docs', href: 'https://example.com/docs' });
    });
    // core wraps a bare link in no paragraph and details text in none either; the rest is equal
    const strip = (html: string) => normal(html).replace(/<\/?p>/g, '');
    expect(strip(renderSummary(b))).toBe(strip(renderSummary(a)));
  });

  it('differs on purpose: markdown right after an HTML block shows raw with core, rendered with ours', async () => {
    const a = await theirs((s) => s.addHeading('Promotion', 2).addRaw('**Source:** `app:1.0`', true));
    const b = await ours(() => {
      addHeading('Promotion', 2);
      addText('**Source:** `app:1.0`');
    });
    expect(literalMarkdown(visibleText(renderSummary(a)))).toEqual([
      'bold markers: **Source:** `app:1.0`',
      'backticks: **Source:** `app:1.0`',
    ]);
    expect(literalMarkdown(visibleText(renderSummary(b)))).toEqual([]);
  });

  it('differs on purpose: ours escapes plain text, core writes it as HTML', async () => {
    const a = await theirs((s) => s.addHeading('Built <app> & co', 3));
    const b = await ours(() => addHeading('Built <app> & co', 3));
    expect(visibleText(renderSummary(a)).trim()).toBe('Built  & co');
    expect(visibleText(renderSummary(b)).trim()).toBe('Built <app> & co');
    expect(summaryText()).toBe('');
  });
});
