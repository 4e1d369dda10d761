import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPayload, resolveCommitTime, runContext } from '../../../actions/compute-tags/src/context.js';
import { type EventName, loadEvent } from './fixtures.js';

describe('runContext from recorded events', () => {
  it.each<[EventName, object]>([
    [
      'push-tag-v1.2.3',
      {
        eventName: 'push',
        ref: 'refs/tags/v1.2.3',
        prNumber: undefined,
        commitTimestamp: new Date('2026-11-19T09:27:24Z'),
        pushBaseRef: 'refs/heads/main',
      },
    ],
    [
      'pull-request-123',
      {
        eventName: 'pull_request',
        prNumber: 123,
        prHeadSha: '1234567890abcdef1234567890abcdef12345678',
        baseRef: 'main',
        commitTimestamp: undefined,
      },
    ],
    ['release-published', { eventName: 'release', ref: 'refs/tags/v1.2.3', releasePrerelease: false }],
    ['workflow-dispatch', { eventName: 'workflow_dispatch', ref: 'refs/heads/main', runNumber: 42 }],
  ])('%s', (event, expected) => {
    const { payload, env } = loadEvent(event);
    expect(runContext(env, payload)).toMatchObject(expected);
  });

  it('reads the repository object, and falls back to GITHUB_REPOSITORY without one', () => {
    const { payload, env } = loadEvent('push-main');
    expect(runContext(env, payload).repository).toEqual({
      name: 'app',
      fullName: 'name/app',
      htmlUrl: 'https://github.com/name/app',
      description: 'The app, in a container',
      license: 'MIT',
      defaultBranch: 'main',
    });
    const schedule = loadEvent('schedule');
    expect(
      runContext(
        { ...schedule.env, GITHUB_REPOSITORY: 'o/r', GITHUB_SERVER_URL: 'https://ghe.example/' },
        schedule.payload,
      ).repository,
    ).toEqual({
      name: 'r',
      fullName: 'o/r',
      htmlUrl: 'https://ghe.example/o/r',
      description: '',
      license: '',
      defaultBranch: undefined,
    });
  });
});

describe('runContext: refs and commit times', () => {
  const pr = loadEvent('pull-request-123');
  it.each<[string, Record<string, string>, Record<string, unknown>, object]>([
    [
      'pull_request_target runs on the base branch but is read as the merge ref',
      { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_REF: 'refs/heads/main' },
      pr.payload,
      { ref: 'refs/pull/123/merge', prNumber: 123, baseRef: 'main' },
    ],
    [
      'pull_request_target without a number keeps GITHUB_REF',
      { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_REF: 'refs/heads/main' },
      {},
      { ref: 'refs/heads/main', prNumber: undefined },
    ],
    [
      "a push's time comes from commits[] when head_commit is another commit",
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 'aaa' },
      {
        commits: [
          { id: 'aaa', timestamp: '2026-01-02T03:04:05Z' },
          { id: 'bbb', timestamp: '2026-01-03T00:00:00Z' },
        ],
        head_commit: { id: 'bbb', timestamp: '2026-01-03T00:00:00Z' },
      },
      { commitTimestamp: new Date('2026-01-02T03:04:05Z') },
    ],
  ])('%s', (_name, env, payload, expected) => {
    expect(runContext(env, payload)).toMatchObject(expected);
  });
});

describe('readPayload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'payload-'));
  it('is empty without a file, an error for a broken one', () => {
    expect(readPayload(undefined)).toEqual({});
    expect(readPayload(join(dir, 'missing.json'))).toEqual({});
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(() => readPayload(join(dir, 'bad.json'))).toThrow('(GITHUB_EVENT_PATH) is not JSON');
  });
});

describe('resolveCommitTime', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const git = (result: Date | Error) => ({
    commitTime: (rev: string) => {
      expect(rev).toBe('abc');
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  });
  it.each([
    [
      { commitTimestamp: new Date('2026-01-01T00:00:00Z'), sha: 'abc' },
      git(new Error('unused')),
      '2026-01-01T00:00:00.000Z',
      'payload',
    ],
    [
      { commitTimestamp: undefined, sha: 'abc' },
      git(new Date('2025-05-05T05:05:05Z')),
      '2025-05-05T05:05:05.000Z',
      'git',
    ],
    [
      { commitTimestamp: undefined, sha: 'abc' },
      git(new Error('not a git repository')),
      '2030-01-01T00:00:00.000Z',
      'clock',
    ],
  ])('%j', async (ctx, g, time, source) => {
    const r = await resolveCommitTime(ctx, g, now);
    expect([r.time.toISOString(), r.source]).toEqual([time, source]);
  });
});
