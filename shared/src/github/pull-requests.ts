// Pull requests through the GitHub REST API (list by head, create, update, labels, reviewers)
// and auto-merge through GraphQL (`enablePullRequestAutoMerge`, which REST does not offer).
// One open pull request per head branch: an existing one is updated, never duplicated.
import { OperationError } from '../errors.js';
import { type GitHubClient, GitHubApiError } from './client.js';

export interface PullRequest {
  number: number;
  url: string;
  nodeId: string;
  title: string;
  /** true when it was opened by this call */
  created: boolean;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface PullRequestSpec {
  /** `owner/name` */
  repository: string;
  /** the branch the changes are on */
  head: string;
  /** the branch they go into */
  base: string;
  title: string;
  body: string;
  labels?: readonly string[];
  /** users, or `org/team` for teams */
  reviewers?: readonly string[];
  autoMerge?: MergeMethod;
}

interface RestPull {
  number: number;
  html_url: string;
  node_id: string;
  title: string;
  state: string;
}

function split(repository: string): [string, string] {
  const [owner, name] = repository.split('/');
  if (!owner || !name) throw new OperationError('GitHub pull request', `'${repository}' is not owner/name`);
  return [owner, name];
}

const enc = encodeURIComponent;

/** Opens the pull request, or updates the open one from the same head; then labels, reviewers, auto-merge. */
export async function upsertPullRequest(
  client: GitHubClient,
  spec: PullRequestSpec,
  logger?: { info(message: string): void; warning(message: string): void },
): Promise<PullRequest> {
  const [owner, name] = split(spec.repository);
  const repoPath = `/repos/${enc(owner)}/${enc(name)}`;
  const open = await client.paginate<RestPull>(`${repoPath}/pulls`, {
    query: { state: 'open', head: `${owner}:${spec.head}`, base: spec.base },
  });
  let pull: RestPull;
  let created = false;
  if (open[0]) {
    pull = (
      await client.request<RestPull>('PATCH', `${repoPath}/pulls/${open[0].number}`, {
        body: { title: spec.title, body: spec.body },
      })
    ).data;
    logger?.info(`Updated pull request #${pull.number}: ${pull.html_url}`);
  } else {
    pull = (
      await client.request<RestPull>('POST', `${repoPath}/pulls`, {
        body: { title: spec.title, body: spec.body, head: spec.head, base: spec.base, maintainer_can_modify: true },
      })
    ).data;
    created = true;
    logger?.info(`Opened pull request #${pull.number}: ${pull.html_url}`);
  }
  if (typeof pull?.number !== 'number' || typeof pull.html_url !== 'string')
    throw new OperationError(`GitHub API pull request for ${spec.head}`, 'the answer holds no number and URL');

  if (spec.labels && spec.labels.length > 0) {
    await client.request('POST', `${repoPath}/issues/${pull.number}/labels`, { body: { labels: [...spec.labels] } });
  }
  if (spec.reviewers && spec.reviewers.length > 0) {
    const reviewers = spec.reviewers.filter((r) => !r.includes('/'));
    const teams = spec.reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1));
    try {
      await client.request('POST', `${repoPath}/pulls/${pull.number}/requested_reviewers`, {
        body: { reviewers, team_reviewers: teams },
      });
    } catch (err) {
      // 422: a reviewer who is the author or not a collaborator; the pull request itself is fine
      if (err instanceof GitHubApiError && err.status === 422) logger?.warning(`Requesting reviewers: ${err.message}`);
      else throw err;
    }
  }
  if (spec.autoMerge) {
    await client.graphql(
      'enablePullRequestAutoMerge',
      `mutation($id: ID!, $method: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) {
    pullRequest { number autoMergeRequest { mergeMethod } }
  }
}`,
      { id: pull.node_id, method: spec.autoMerge.toUpperCase() },
    );
    logger?.info(`Auto-merge (${spec.autoMerge}) enabled on #${pull.number}`);
  }
  return { number: pull.number, url: pull.html_url, nodeId: pull.node_id, title: pull.title, created };
}
