import { afterEach, describe, expect, it } from 'vitest';
import { GitHubApiError, GitHubClient } from '#shared/github/client.js';
import { upsertPullRequest } from '#shared/github/pull-requests.js';
import { type GitHubPullsFake, startGitHubPullsFake } from '../../fakes/github-pulls.js';

const TOKEN = 'ghs_pullRequestsTestToken';
let fake: GitHubPullsFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const spec = { repository: 'acme/deploy', head: 'gitops/app', base: 'main', title: 'Update app', body: 'b' };

describe('GitHubClient.graphql', () => {
  it.each([
    ['https://api.github.com', 'https://api.github.com/graphql'],
    ['https://ghe.example.com/api/v3', 'https://ghe.example.com/api/graphql'],
    ['https://ghe.example.com/api/v3/', 'https://ghe.example.com/api/graphql'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/graphql'],
  ])('%s -> %s', (baseUrl, expected) => {
    expect(new GitHubClient({ baseUrl }).graphqlUrl()).toBe(expected);
  });

  it('turns GraphQL errors (HTTP 200) into an error naming the operation', async () => {
    fake = await startGitHubPullsFake({ owner: 'acme', repo: 'deploy', token: TOKEN });
    const client = new GitHubClient({ baseUrl: fake.apiUrl, token: TOKEN });
    const call = client.graphql('enablePullRequestAutoMerge', 'mutation { enablePullRequestAutoMerge }', {
      id: 'nope',
    });
    await expect(call).rejects.toBeInstanceOf(GitHubApiError);
    await expect(call).rejects.toThrow(
      "GitHub GraphQL enablePullRequestAutoMerge: HTTP 200: NOT_FOUND: Could not resolve to a node with the global id of 'nope'",
    );
  });
});

describe('upsertPullRequest', () => {
  it('opens one pull request, then updates it instead of opening another', async () => {
    fake = await startGitHubPullsFake({ owner: 'acme', repo: 'deploy', token: TOKEN });
    const client = new GitHubClient({ baseUrl: fake.apiUrl, token: TOKEN });
    const first = await upsertPullRequest(client, { ...spec, labels: ['gitops'], autoMerge: 'rebase' });
    expect(first).toEqual({
      number: 1,
      url: 'https://github.com/acme/deploy/pull/1',
      nodeId: 'PR_kwDO000001',
      title: 'Update app',
      created: true,
    });
    const second = await upsertPullRequest(client, { ...spec, title: 'Update app again', labels: ['gitops'] });
    expect(second).toMatchObject({ number: 1, title: 'Update app again', created: false });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]?.labels.map((l) => l.name)).toEqual(['gitops']);
    expect(fake.pulls[0]?.auto_merge?.merge_method).toBe('rebase');
    expect(fake.requests.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`)).toEqual([
      'GET /repos/acme/deploy/pulls',
      'POST /repos/acme/deploy/pulls',
      'POST /repos/acme/deploy/issues/1/labels',
      'POST /graphql',
      'GET /repos/acme/deploy/pulls',
      'PATCH /repos/acme/deploy/pulls/1',
      'POST /repos/acme/deploy/issues/1/labels',
    ]);
    const list = new URL(fake.requests[0]?.url as string, 'http://x').searchParams;
    expect(Object.fromEntries(list)).toEqual({ per_page: '100', state: 'open', head: 'acme:gitops/app', base: 'main' });
  });

  it('warns about reviewers GitHub refuses and keeps the pull request', async () => {
    fake = await startGitHubPullsFake({ owner: 'acme', repo: 'deploy', token: TOKEN, collaborators: ['alice'] });
    const client = new GitHubClient({ baseUrl: fake.apiUrl, token: TOKEN });
    const warnings: string[] = [];
    const pr = await upsertPullRequest(
      client,
      { ...spec, reviewers: ['mallory'] },
      {
        info: () => {},
        warning: (m) => warnings.push(m),
      },
    );
    expect(pr.number).toBe(1);
    expect(warnings).toEqual([
      'Requesting reviewers: GitHub API POST /repos/acme/deploy/pulls/1/requested_reviewers: HTTP 422: Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/deploy repository. (see https://docs.github.com/rest/pulls/review-requests)',
    ]);
  });

  it('fails clearly when the repository does not allow auto-merge', async () => {
    fake = await startGitHubPullsFake({ owner: 'acme', repo: 'deploy', token: TOKEN, autoMergeAllowed: false });
    const client = new GitHubClient({ baseUrl: fake.apiUrl, token: TOKEN });
    await expect(upsertPullRequest(client, { ...spec, autoMerge: 'squash' })).rejects.toThrow(
      'GitHub GraphQL enablePullRequestAutoMerge: HTTP 200: UNPROCESSABLE: Pull request Auto merge is not allowed for this repository',
    );
  });
});
