import { describe, expect, it } from 'vitest';
import {
  defaultCommitMessage,
  defaultPrBody,
  explainNoMatch,
  type FilePlan,
  renderDiff,
  renderTemplate,
  type TemplateValues,
  versionText,
} from '../../../actions/gitops-update/src/edits.js';

const D = `sha256:${'c'.repeat(64)}`;
const values: TemplateValues = {
  image: 'ghcr.io/acme/app',
  tag: '1.2.0',
  digest: D,
  'short-digest': 'cccccccccccc',
  files: 'a.yaml, b.yaml',
};

function plan(before: string, after: string, changes: FilePlan['changes'] = []): FilePlan {
  return { file: 'deploy/a.yaml', before, after, changes, references: [], skipped: [] };
}

describe('renderDiff', () => {
  it('pairs changed lines with two lines of context, CR dropped, hunks merged when close', () => {
    const before = ['a', 'b', 'image: x:1', 'c', 'd', 'e', 'f', 'g', 'h', 'tag: 1', 'i'].join('\r\n');
    const after = ['a', 'b', 'image: x:2', 'c', 'd', 'e', 'f', 'g', 'h', 'tag: 2', 'i'].join('\r\n');
    expect(renderDiff(plan(before, after)).split('\n')).toEqual([
      '--- a/deploy/a.yaml',
      '+++ b/deploy/a.yaml',
      '@@ -1,5 +1,5 @@',
      ' a',
      ' b',
      '-image: x:1',
      '+image: x:2',
      ' c',
      ' d',
      '@@ -8,4 +8,4 @@',
      ' g',
      ' h',
      '-tag: 1',
      '+tag: 2',
      ' i',
    ]);
  });

  it('is empty when nothing changed', () => {
    expect(renderDiff(plan('a\n', 'a\n'))).toBe('');
  });
});

describe('templates', () => {
  it.each([
    ['{image}:{tag}@{digest}', `ghcr.io/acme/app:1.2.0@${D}`],
    ['deploy {short-digest} to {files}', 'deploy cccccccccccc to a.yaml, b.yaml'],
    ['keeps {unknown} and {{image}}', 'keeps {unknown} and {ghcr.io/acme/app}'],
  ])('%s', (template, expected) => {
    expect(renderTemplate(template, values)).toBe(expected);
  });

  it.each([
    [values, '1.2.0 (cccccccccccc)'],
    [{ ...values, digest: '', 'short-digest': '' }, '1.2.0'],
    [{ ...values, tag: '' }, 'cccccccccccc'],
  ])('versionText %#', (v, expected) => {
    expect(versionText(v)).toBe(expected);
  });

  it('default commit message and pull request body list every change', () => {
    const p = plan('', '', [{ line: 11, format: 'helm', path: 'image', old: '1.1.0', new: '1.2.0' }]);
    expect(defaultCommitMessage(values, [p])).toBe(
      'Update ghcr.io/acme/app to 1.2.0 (cccccccccccc)\n\ndeploy/a.yaml:11: 1.1.0 -> 1.2.0',
    );
    expect(defaultPrBody(values, [p])).toBe(
      [
        'Updates ghcr.io/acme/app to 1.2.0 (cccccccccccc).',
        '',
        '| file:line | old | new |',
        '| --- | --- | --- |',
        '| deploy/a.yaml:11 | `1.1.0` | `1.2.0` |',
        '',
      ].join('\n'),
    );
  });
});

describe('explainNoMatch', () => {
  it('lists each file with its references and reasons', () => {
    const p: FilePlan = {
      ...plan('', ''),
      references: [
        { line: 3, format: 'compose', text: 'quay.io/acme/app:1', why: 'is in registry quay.io, not ghcr.io' },
        { line: 9, format: 'compose', text: '$IMAGE', why: 'uses a variable or template, never rewritten' },
      ],
    };
    expect(explainNoMatch([p, { ...plan('', ''), file: 'empty.yaml' }], 'ghcr.io/acme/app')).toBe(
      [
        'No reference to ghcr.io/acme/app was updated in 2 file(s):',
        '  deploy/a.yaml:',
        '    line 3 (compose) quay.io/acme/app:1: is in registry quay.io, not ghcr.io',
        '    line 9 (compose) $IMAGE: uses a variable or template, never rewritten',
        '  empty.yaml: no image references found',
      ].join('\n'),
    );
  });
});
