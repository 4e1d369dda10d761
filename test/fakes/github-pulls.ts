// A local fake of the GitHub pull request APIs gitops-update uses, in their documented shapes
// (docs.github.com/rest/pulls/pulls, /rest/issues/labels, /rest/pulls/review-requests,
// /graphql/reference/mutations#enablepullrequestautomerge):
//   GET   {prefix}/repos/{o}/{r}/pulls?state=&head=owner:branch&base=   -> 200 [pull]
//   POST  {prefix}/repos/{o}/{r}/pulls {title, head, base, body}        -> 201 pull; 422 when an
//         open pull request from that head exists ("A pull request already exists for o:branch.")
//   PATCH {prefix}/repos/{o}/{r}/pulls/{n} {title, body}                -> 200 pull
//   POST  {prefix}/repos/{o}/{r}/issues/{n}/labels {labels}             -> 200 [label]
//   POST  {prefix}/repos/{o}/{r}/pulls/{n}/requested_reviewers {reviewers, team_reviewers}
//         -> 201 pull; 422 when a reviewer is not a collaborator
//   POST  {graphql} {query, variables} enablePullRequestAutoMerge       -> 200 {data} or
//         200 {data: {enablePullRequestAutoMerge: null}, errors: [{type, message, path}]}
// github.com serves REST at the root and GraphQL at /graphql; GHES at /api/v3 and /api/graphql.
import { type FakeServer, json, type RecordedRequest, startFake } from './server.js';

export interface FakePull {
  id: number;
  node_id: string;
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  html_url: string;
  url: string;
  head: { ref: string; label: string };
  base: { ref: string };
  labels: { id: number; name: string; color: string; default: boolean }[];
  requested_reviewers: { login: string; type: 'User' }[];
  requested_teams: { slug: string; name: string }[];
  auto_merge: { merge_method: string; enabled_by: { login: string } } | null;
}

export interface GitHubPullsFake extends FakeServer {
  pulls: FakePull[];
  /** the REST root to use as GITHUB_API_URL */
  apiUrl: string;
}

export interface GitHubPullsOptions {
  owner: string;
  repo: string;
  token: string;
  /** '' (github.com) or '/api/v3' (GHES) */
  prefix?: string;
  collaborators?: string[];
  autoMergeAllowed?: boolean;
}

const DOCS = 'https://docs.github.com/rest/pulls/pulls';

export async function startGitHubPullsFake(options: GitHubPullsOptions): Promise<GitHubPullsFake> {
  const prefix = options.prefix ?? '';
  const graphqlPath = prefix === '/api/v3' ? '/api/graphql' : `${prefix}/graphql`;
  const pulls: FakePull[] = [];
  let base = '';
  const repoPath = `${prefix}/repos/${options.owner}/${options.repo}`;
  const headers = {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
  };
  const validation = (message: string) =>
    json(
      422,
      {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message }],
        documentation_url: DOCS,
      },
      headers,
    );
  const handler = (req: RecordedRequest) => {
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return json(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    const url = new URL(req.url, base);
    const body = req.body ? JSON.parse(req.body) : {};
    if (url.pathname === graphqlPath && req.method === 'POST') {
      const m = /enablePullRequestAutoMerge/.exec(body.query ?? '');
      if (!m) return json(200, { errors: [{ message: 'unsupported query in the fake' }] });
      const pull = pulls.find((p) => p.node_id === body.variables?.id);
      if (!pull)
        return json(200, {
          data: { enablePullRequestAutoMerge: null },
          errors: [
            {
              type: 'NOT_FOUND',
              path: ['enablePullRequestAutoMerge'],
              message: `Could not resolve to a node with the global id of '${body.variables?.id}'`,
            },
          ],
        });
      if (options.autoMergeAllowed === false)
        return json(200, {
          data: { enablePullRequestAutoMerge: null },
          errors: [
            {
              type: 'UNPROCESSABLE',
              path: ['enablePullRequestAutoMerge'],
              message: 'Pull request Auto merge is not allowed for this repository',
            },
          ],
        });
      const method = String(body.variables?.method ?? '');
      if (!['MERGE', 'SQUASH', 'REBASE'].includes(method))
        return json(200, {
          errors: [{ message: `Variable $method of type PullRequestMergeMethod! was provided invalid value` }],
        });
      pull.auto_merge = { merge_method: method.toLowerCase(), enabled_by: { login: 'github-actions[bot]' } };
      return json(200, {
        data: {
          enablePullRequestAutoMerge: {
            pullRequest: { number: pull.number, autoMergeRequest: { mergeMethod: method } },
          },
        },
      });
    }
    if (!url.pathname.startsWith(repoPath)) return json(404, { message: 'Not Found', documentation_url: DOCS });
    const rest = url.pathname.slice(repoPath.length);
    if (rest === '/pulls' && req.method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const baseRef = url.searchParams.get('base');
      const list = pulls.filter(
        (p) =>
          (state === 'all' || p.state === state) &&
          (!head || p.head.label === head) &&
          (!baseRef || p.base.ref === baseRef),
      );
      return json(200, list, headers);
    }
    if (rest === '/pulls' && req.method === 'POST') {
      if (!body.title || !body.head || !body.base) return validation('title, head and base are required');
      const label = `${options.owner}:${body.head}`;
      if (pulls.some((p) => p.state === 'open' && p.head.label === label))
        return validation(`A pull request already exists for ${label}.`);
      const number = pulls.length + 1;
      const pull: FakePull = {
        id: 1000 + number,
        node_id: `PR_kwDO${number.toString().padStart(6, '0')}`,
        number,
        state: 'open',
        title: body.title,
        body: body.body ?? null,
        html_url: `https://github.com/${options.owner}/${options.repo}/pull/${number}`,
        url: `${base}${repoPath}/pulls/${number}`,
        head: { ref: body.head, label },
        base: { ref: body.base },
        labels: [],
        requested_reviewers: [],
        requested_teams: [],
        auto_merge: null,
      };
      pulls.push(pull);
      return json(201, pull, headers);
    }
    const one = /^\/pulls\/(\d+)$/.exec(rest);
    if (one && req.method === 'PATCH') {
      const pull = pulls.find((p) => p.number === Number(one[1]));
      if (!pull) return json(404, { message: 'Not Found', documentation_url: DOCS });
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      return json(200, pull, headers);
    }
    const labels = /^\/issues\/(\d+)\/labels$/.exec(rest);
    if (labels && req.method === 'POST') {
      const pull = pulls.find((p) => p.number === Number(labels[1]));
      if (!pull) return json(404, { message: 'Not Found', documentation_url: DOCS });
      for (const name of body.labels ?? [])
        if (!pull.labels.some((l) => l.name === name))
          pull.labels.push({ id: pull.labels.length + 1, name, color: 'ededed', default: false });
      return json(200, pull.labels, headers);
    }
    const reviewers = /^\/pulls\/(\d+)\/requested_reviewers$/.exec(rest);
    if (reviewers && req.method === 'POST') {
      const pull = pulls.find((p) => p.number === Number(reviewers[1]));
      if (!pull) return json(404, { message: 'Not Found', documentation_url: DOCS });
      const users: string[] = body.reviewers ?? [];
      if (options.collaborators && users.some((u) => !options.collaborators?.includes(u)))
        return json(422, {
          message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${options.owner}/${options.repo} repository.`,
          documentation_url: 'https://docs.github.com/rest/pulls/review-requests',
        });
      for (const u of users)
        if (!pull.requested_reviewers.some((r) => r.login === u))
          pull.requested_reviewers.push({ login: u, type: 'User' });
      for (const t of body.team_reviewers ?? [])
        if (!pull.requested_teams.some((r) => r.slug === t)) pull.requested_teams.push({ slug: t, name: t });
      return json(201, pull, headers);
    }
    return json(404, { message: 'Not Found', documentation_url: DOCS });
  };
  const fake = await startFake(handler);
  base = fake.url;
  return Object.assign(fake, { pulls, apiUrl: `${fake.url}${prefix}` });
}
