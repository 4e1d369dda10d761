// The expression side of the workflow runner: what a strict context records as a miss, what
// stays as lenient as on GitHub, how values render into inputs and how conditions decide.
import { describe, expect, it } from 'vitest';
import { Contexts, contextPaths, jobOrder, parseExpression, toData } from '../harness/workflow-model.js';

function contexts(): Contexts {
  const c = new Contexts();
  c.set('inputs', c.strictStrings({ image: 'ghcr.io/o/a', 'dry-run': true, empty: '' }));
  c.set(
    'steps',
    c.strict({ meta: c.strict({ outputs: c.strictStrings({ tags: 'a:1\na:latest', json: '{"k":{"x":"1"}}' }) }) }),
  );
  c.set('github', toData({ ref: 'refs/tags/v1' }));
  return c;
}

describe('strict contexts', () => {
  it.each([
    ['steps.meta.outputs.tags', 'a:1\na:latest', []],
    ['steps.meta.outputs.tag', '', ['steps.meta.outputs.tag (known: tags, json)']],
    ['steps.build.outputs.digest', '', ['steps.build (known: meta)']],
    ['inputs.imag', '', ['inputs.imag (known: image, dry-run, empty)']],
    ["fromJSON(steps.meta.outputs.json).k.y || 'none'", 'none', []],
    ['github.event_name', '', []],
    ["inputs.empty || 'fallback'", 'fallback', []],
    ['inputs.dry-run', 'true', []],
  ])('%s renders %j with misses %j', (expr, value, misses) => {
    const c = contexts();
    expect(c.render(`\${{ ${expr} }}`)).toBe(value);
    expect(c.misses).toEqual(misses);
  });

  it.each([
    [undefined, true, true],
    [undefined, false, false],
    ['always()', false, true],
    ["inputs.image != ''", false, false],
    ["${{ inputs.image != '' }}", true, true],
    ['failure()', false, true],
    [false, true, false],
  ])('condition %j with success %j is %j', (condition, success, expected) => {
    expect(contexts().condition(condition, { success })).toBe(expected);
  });
});

describe('what an expression reads', () => {
  it.each([
    ['needs.meta.outputs.tags', [['needs', 'meta', 'outputs', 'tags']]],
    [
      'fromJSON(needs.meta.outputs.map)[matrix.key].digest',
      [
        ['needs', 'meta', 'outputs', 'map'],
        ['matrix', 'key'],
      ],
    ],
    [
      "inputs.a && 'x' || steps.s.outputs.o",
      [
        ['inputs', 'a'],
        ['steps', 's', 'outputs', 'o'],
      ],
    ],
  ])('%s', (expr, paths) => {
    expect(contextPaths(parseExpression(expr))).toEqual(paths);
  });
});

describe('job order', () => {
  it('puts every job after the jobs it needs', () => {
    expect(jobOrder({ c: { needs: ['a', 'b'] }, b: { needs: 'a' }, a: {} })).toEqual(['a', 'b', 'c']);
  });

  it.each([
    [{ a: { needs: 'b' }, b: { needs: 'a' } }, 'jobs need each other in a cycle'],
    [{ a: { needs: 'x' } }, 'job a needs x, which does not exist'],
  ])('refuses %j', (jobs, message) => {
    expect(() => jobOrder(jobs)).toThrow(message);
  });
});
