// From rules and run context to tags: evaluates each rule the way docker/metadata-action does
// (priority order, the first value is the version, the first producing rule decides `latest`
// under latest=auto), marks floating tags (`latest`, `{{major}}`, `{{major}}.{{minor}}`) with the
// range they float over, and makes every tag valid for Docker. Pure: no I/O.
import { createHash } from 'node:crypto';
// single functions, not the whole package: start-up time matters in an action
import semverParse from 'semver/functions/parse.js';
import semverValid from 'semver/functions/valid.js';
import { ConfigurationError } from '#shared/errors.js';
import { isPullRequestEvent, type RunContext, refBranch, refTag } from './context.js';
import { parsePep440 } from './pep440.js';
import { compileMatch, type Flavor, type Rule } from './rules.js';
import {
  dateHelper,
  expressionNames,
  formatDate,
  type Helpers,
  hasExpression,
  render,
  TemplateError,
} from './template.js';

export const TAG_MAX = 128;

export interface TagContext extends RunContext {
  /** monorepo git tag prefix (`api/`); '' for none */
  tagPrefix: string;
  shaLength: number;
  /** the wall clock, for `{{date}}` */
  now: Date;
  /** the commit's time, for `type=timestamp`, `{{commit_date}}` and the created label */
  commitTime: Date;
  /**
   * On pull requests, whether `type=sha`, `{{sha}}` and the revision label name the head commit
   * (true, the default) or the merge commit GitHub made (DOCKER_METADATA_PR_HEAD_SHA=false).
   */
  headSha: boolean;
}

/** `all` for latest; `major` for `{{major}}`; `minor` for `{{major}}.{{minor}}`. */
export type FloatRange = 'all' | 'major' | 'minor';

export interface Candidate {
  tag: string;
  /** the rule line that produced it (or the flavor for latest) */
  rule: string;
  /** set for tags that float over a range of releases */
  floats?: FloatRange;
}

export interface Release {
  version: string;
  /** a semver prerelease (`1.2.0-rc.1`) */
  prerelease: boolean;
  /** the GitHub release that started the run is marked pre-release */
  markedPrerelease: boolean;
}

export interface TagPlan {
  /** in output order: the version first, then the other tags, latest last */
  candidates: Candidate[];
  /** the semver version this run releases, when it releases one */
  release: Release | undefined;
  warnings: string[];
}

/** Makes a text a valid tag: invalid runs become `-`, leading `.`/`-` go, long names get a stable hash. */
export function sanitizeTag(text: string): string {
  let tag = text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  if (tag.length > TAG_MAX) {
    const hash = createHash('sha256').update(tag).digest('hex').slice(0, 8);
    tag = `${tag.slice(0, TAG_MAX - hash.length - 1)}-${hash}`;
  }
  return tag;
}

/** The git tag of this run without the monorepo prefix; undefined when not a tag or not this component's. */
export function componentTag(ctx: Pick<TagContext, 'ref' | 'tagPrefix'>): string | undefined {
  const tag = refTag(ctx.ref);
  if (tag === undefined) return undefined;
  if (!ctx.tagPrefix) return tag;
  return tag.startsWith(ctx.tagPrefix) ? tag.slice(ctx.tagPrefix.length) : undefined;
}

/**
 * The commit `type=sha` names: the pull request's head for `source=head`, the merge commit for
 * `source=merge`; without `source`, the one DOCKER_METADATA_PR_HEAD_SHA picks (the head unless false).
 */
export function shaFor(ctx: Pick<TagContext, 'eventName' | 'prHeadSha' | 'sha' | 'headSha'>, source?: string): string {
  const head = source === 'head' || (source === undefined && ctx.headSha);
  if (head && isPullRequestEvent(ctx.eventName) && ctx.prHeadSha) return ctx.prHeadSha;
  return ctx.sha;
}

/** The commit the image is built from, for the revision label and `{{sha}}`: the same one `type=sha` names. */
export const revisionSha = (ctx: Pick<TagContext, 'eventName' | 'prHeadSha' | 'sha' | 'headSha'>): string =>
  shaFor(ctx);

function isDefaultBranch(ctx: TagContext): boolean {
  const branch = refBranch(ctx.ref);
  if (branch && ctx.repository.defaultBranch === branch) return true;
  // these events always run on the default branch's last commit
  return /^(create|discussion|issues|schedule)/.test(ctx.eventName) && (branch !== undefined || ctx.ref === '');
}

export function globalHelpers(ctx: TagContext): Helpers {
  const tag = componentTag(ctx) ?? '';
  const branch = refBranch(ctx.ref) ?? '';
  let baseRef = '';
  if (refTag(ctx.ref) !== undefined && ctx.pushBaseRef) baseRef = ctx.pushBaseRef.replace(/^refs\/heads\//, '');
  else if (ctx.ref.startsWith('refs/pull/') && ctx.baseRef) baseRef = ctx.baseRef;
  const sha = revisionSha(ctx);
  const defaultBranch = isDefaultBranch(ctx);
  return {
    branch,
    tag,
    sha: sha.slice(0, ctx.shaLength),
    base_ref: baseRef,
    is_default_branch: String(defaultBranch),
    is_not_default_branch: String(!defaultBranch),
    date: dateHelper(ctx.now),
    commit_date: dateHelper(ctx.commitTime),
  };
}

interface Produced {
  value: string;
  /** under latest=auto, whether this rule's value makes `latest` */
  autoLatest: boolean;
  floats?: FloatRange;
}

function floatRange(pattern: string): FloatRange | undefined {
  const names = new Set(expressionNames(pattern));
  if (names.has('version') || names.has('raw') || names.has('patch') || names.has('prerelease')) return undefined;
  if (names.has('minor')) return names.has('major') ? 'minor' : undefined;
  return names.has('major') ? 'major' : undefined;
}

class Evaluator {
  readonly warnings: string[] = [];
  private readonly globals: Helpers;

  constructor(
    private readonly ctx: TagContext,
    private readonly flavor: Flavor,
  ) {
    this.globals = globalHelpers(ctx);
  }

  expand(text: string, rule: Rule | undefined, extra: Helpers = {}): string {
    try {
      return render(text, { ...this.globals, ...extra });
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      if (!rule) throw new ConfigurationError(`'${text}': ${err.message}`, 'flavor');
      throw new ConfigurationError(`'${rule.line}': ${err.message}`, 'tags');
    }
  }

  enabled(rule: Rule): boolean {
    const value = this.expand(rule.enable, rule).trim().toLowerCase();
    if (value !== 'true' && value !== 'false') {
      throw new ConfigurationError(
        `'${rule.line}': enable='${rule.enable}' gives '${value}' (expected true or false)`,
        'tags',
      );
    }
    return value === 'true';
  }

  /** prefix + value + suffix, the rule's own prefix/suffix before the flavor's. */
  affix(value: string, rule: Rule): string {
    const prefix = rule.prefix !== undefined ? rule.prefix : this.flavor.prefix;
    const suffix = rule.suffix !== undefined ? rule.suffix : this.flavor.suffix;
    return `${this.expand(prefix, rule)}${value}${this.expand(suffix, rule)}`;
  }

  /**
   * The text a version rule reads: `value`, else the git tag (without tag-prefix); for semver and
   * pep440 the first group of `match` when given, then `/` made `-` (as metadata-action does).
   * Undefined when there is none, or when `match` does not match (then a warning says so).
   */
  versionSource(rule: Rule, quiet = false): string | undefined {
    const value = rule.attrs.value ?? '';
    let raw: string | undefined = value !== '' ? this.expand(value, rule) : componentTag(this.ctx);
    if (raw === undefined || rule.type === 'match') return raw;
    const match = rule.attrs.match;
    if (match) {
      const group = new RegExp(match).exec(raw)?.[1];
      if (group === undefined) {
        if (!quiet) this.warnings.push(`match '${match}' does not match '${raw}', so '${rule.line}' gives no tag`);
        return undefined;
      }
      raw = group;
    }
    return raw.replace(/\//g, '-');
  }

  produce(rule: Rule): Produced | undefined {
    const ctx = this.ctx;
    const a = rule.attrs;
    switch (rule.type) {
      case 'schedule':
        if (!/schedule/.test(ctx.eventName)) return undefined;
        return { value: this.affix(this.expand(a.pattern as string, rule), rule), autoLatest: false };
      case 'semver': {
        const raw = this.versionSource(rule);
        if (raw === undefined) return undefined;
        const parsed = semverValid(raw) ? semverParse(raw, { loose: true }) : null;
        if (!parsed) {
          this.warnings.push(`'${raw}' is not a semantic version (https://semver.org), so '${rule.line}' gives no tag`);
          return undefined;
        }
        const pattern = a.pattern as string;
        const vars: Helpers = {
          raw,
          version: parsed.version,
          major: String(parsed.major),
          minor: String(parsed.minor),
          patch: String(parsed.patch),
          prerelease: parsed.prerelease.join('.'),
          build: parsed.build.join('.'),
        };
        if (parsed.prerelease.length > 0) {
          // a prerelease gets its full version only: no floating {{major}}/{{minor}} tags
          const text = pattern.trim() === '{{raw}}' ? raw : parsed.version;
          return { value: this.affix(text, rule), autoLatest: false };
        }
        return {
          value: this.affix(this.expand(pattern, rule, vars), rule),
          autoLatest: true,
          floats: floatRange(pattern),
        };
      }
      case 'pep440': {
        const raw = this.versionSource(rule);
        if (raw === undefined) return undefined;
        const v = parsePep440(raw);
        if (!v) {
          this.warnings.push(`'${raw}' is not a PEP 440 version, so '${rule.line}' gives no tag`);
          return undefined;
        }
        if (v.isSpecial) {
          const text = (a.pattern as string).trim() === '{{raw}}' ? raw : v.version;
          return { value: this.affix(text, rule), autoLatest: false };
        }
        const vars: Helpers = {
          raw,
          version: v.version,
          major: String(v.major),
          minor: String(v.minor),
          patch: String(v.patch),
        };
        return {
          value: this.affix(this.expand(a.pattern as string, rule, vars), rule),
          autoLatest: true,
          floats: floatRange(a.pattern as string),
        };
      }
      case 'match': {
        const raw = this.versionSource(rule);
        if (raw === undefined) return undefined;
        const m = raw.match(compileMatch(a.pattern as string, rule.line));
        if (!m) {
          this.warnings.push(`pattern '${a.pattern}' does not match '${raw}', so '${rule.line}' gives no tag`);
          return undefined;
        }
        const group = m[Number(a.group)];
        if (group === undefined) {
          this.warnings.push(`pattern '${a.pattern}' has no group ${a.group}, so '${rule.line}' gives no tag`);
          return undefined;
        }
        return { value: this.affix(group, rule), autoLatest: true };
      }
      case 'edge': {
        const branch = refBranch(ctx.ref);
        if (branch === undefined) return undefined;
        const edgeBranch = a.branch ? this.expand(a.branch, rule) : ctx.repository.defaultBranch;
        if (edgeBranch === undefined) {
          this.warnings.push(
            `the default branch is unknown (the event payload has no repository), so '${rule.line}' gives no tag; write branch=<name>`,
          );
          return undefined;
        }
        if (edgeBranch !== branch) return undefined;
        return { value: this.affix('edge', rule), autoLatest: false };
      }
      case 'ref': {
        if (a.event === 'branch') {
          const branch = refBranch(ctx.ref);
          return branch === undefined ? undefined : { value: this.affix(branch, rule), autoLatest: false };
        }
        if (a.event === 'tag') {
          const tag = componentTag(ctx);
          return tag === undefined ? undefined : { value: this.affix(tag, rule), autoLatest: true };
        }
        const pr = ctx.ref.startsWith('refs/pull/') || isPullRequestEvent(ctx.eventName) ? ctx.prNumber : undefined;
        return pr === undefined ? undefined : { value: this.affix(String(pr), rule), autoLatest: false };
      }
      case 'raw':
      case 'env': {
        const value = a.value as string;
        if (!hasExpression(value)) this.checkLiteral(value, rule);
        return { value: this.affix(this.expand(value, rule), rule), autoLatest: false };
      }
      case 'sha': {
        const sha = shaFor(ctx, a.source);
        if (!sha) return undefined;
        const text = a.format === 'long' ? sha : sha.slice(0, ctx.shaLength);
        return { value: this.affix(text, rule), autoLatest: false };
      }
      case 'build':
        if (ctx.runNumber === undefined) {
          this.warnings.push(`GITHUB_RUN_NUMBER is not set, so '${rule.line}' gives no tag`);
          return undefined;
        }
        return { value: this.affix(String(ctx.runNumber), rule), autoLatest: false };
      case 'timestamp': {
        let text: string;
        try {
          text = formatDate(ctx.commitTime, a.format as string, 'UTC');
        } catch (err) {
          throw new ConfigurationError(`'${rule.line}': ${(err as Error).message}`, 'tags');
        }
        return { value: this.affix(text, rule), autoLatest: false };
      }
    }
  }

  /** A tag written literally by the user is never rewritten: it must already be valid. */
  private checkLiteral(value: string, rule: Rule): void {
    const bad = value.match(/[^A-Za-z0-9_.-]/);
    const prefix = rule.prefix !== undefined ? rule.prefix : this.flavor.prefix;
    let why: string | undefined;
    if (bad) why = `'${bad[0]}' is not allowed in a tag`;
    else if (prefix === '' && /^[.-]/.test(value)) why = 'a tag cannot start with . or -';
    else if (value.length > TAG_MAX) why = `it is ${value.length} characters long, more than ${TAG_MAX}`;
    if (why) {
      throw new ConfigurationError(
        `'${rule.line}': '${value}' is not a valid tag: ${why} (a tag is 1 to 128 letters, digits, _ . -, not starting with . or -)`,
        'tags',
      );
    }
  }
}

/** The semver version this run releases: from the first semver rule that has one, else the git tag. */
function releaseVersion(rules: Rule[], ev: Evaluator, ctx: TagContext): Release | undefined {
  const release = (raw: string | undefined): Release | undefined => {
    const parsed = raw !== undefined && semverValid(raw) ? semverParse(raw, { loose: true }) : null;
    if (!parsed) return undefined;
    return {
      version: parsed.version,
      prerelease: parsed.prerelease.length > 0,
      markedPrerelease: ctx.releasePrerelease,
    };
  };
  for (const rule of rules) {
    if (rule.type !== 'semver' || !ev.enabled(rule)) continue;
    const found = release(ev.versionSource(rule, true));
    if (found) return found;
  }
  return release(componentTag(ctx));
}

export function planTags(rules: Rule[], flavor: Flavor, ctx: TagContext): TagPlan {
  const ev = new Evaluator(ctx, flavor);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  let latest: boolean | undefined;
  const tagRef = refTag(ctx.ref);
  if (tagRef !== undefined && ctx.tagPrefix && componentTag(ctx) === undefined) {
    ev.warnings.push(
      `the git tag '${tagRef}' does not start with tag-prefix '${ctx.tagPrefix}': it belongs to another component, so no version tags are made from it`,
    );
  }
  for (const rule of rules) {
    if (!ev.enabled(rule)) continue;
    const produced = ev.produce(rule);
    if (!produced || produced.value === '') continue;
    const tag = sanitizeTag(produced.value);
    if (tag === '') {
      ev.warnings.push(`'${rule.line}' gives '${produced.value}', which has no character a tag may hold`);
      continue;
    }
    latest ??= flavor.latest === 'auto' ? produced.autoLatest : flavor.latest === 'true';
    if (seen.has(tag)) continue;
    seen.add(tag);
    candidates.push({ tag, rule: rule.line, ...(produced.floats ? { floats: produced.floats } : {}) });
  }
  const release = releaseVersion(rules, ev, ctx);
  // prereleases never get latest, whatever the flavor says; a release marked pre-release on
  // GitHub gets it planned, and the floating decision holds it back
  if (latest && candidates.length > 0 && !release?.prerelease) {
    const prefix = flavor.prefixLatest ? ev.expand(flavor.prefix, undefined) : '';
    const suffix = flavor.suffixLatest ? ev.expand(flavor.suffix, undefined) : '';
    const tag = sanitizeTag(`${prefix}latest${suffix}`);
    if (!seen.has(tag)) {
      seen.add(tag);
      candidates.push({ tag, rule: `flavor latest=${flavor.latest}`, floats: 'all' });
    }
  }
  return { candidates, release, warnings: ev.warnings };
}
