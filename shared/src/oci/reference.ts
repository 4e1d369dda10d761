// Image references as users write them (`nginx`, `ghcr.io/o/app:v1`, `127.0.0.1:5000/a@sha256:…`)
// parsed and normalised by the Docker reference grammar (distribution/reference): Docker Hub
// defaults, host detection, lower-case repositories, the 255-character name limit, tag and
// digest grammar. Errors quote the text and say which rule it breaks.
import { ConfigurationError } from '../errors.js';

export interface Reference {
  /** normalised host[:port]; Docker Hub is 'docker.io' */
  registry: string;
  /** 'library/nginx' for Docker Hub official images */
  repository: string;
  tag?: string;
  /** 'sha256:<hex>' */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
export const NAME_TOTAL_LENGTH_MAX = 255;

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
// path-component := alpha-numeric [separator alpha-numeric]*; separator := [_.] | __ | -+
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// digest := algorithm ":" encoded; algorithm components joined by [+._-]
const DIGEST_FORM_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha512: 128 };
const ANCHORED_HEX64 = /^[a-f0-9]{64}$/;

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** `sha256:` + 64 lower-case hex, or `sha512:` + 128. */
export function isDigest(text: string): boolean {
  return digestProblem(text) === undefined;
}

/** Why the text is not a digest we accept, or undefined when it is one. */
export function digestProblem(text: string): string | undefined {
  if (!DIGEST_FORM_RE.test(text)) return `'${text}' is not a digest (expected sha256:<64 hex digits>)`;
  const colon = text.indexOf(':');
  const algorithm = text.slice(0, colon);
  const encoded = text.slice(colon + 1);
  const length = DIGEST_HEX[algorithm];
  if (length === undefined) {
    return `digest algorithm '${algorithm}' is not supported (sha256 and sha512 are)`;
  }
  if (!/^[a-f0-9]+$/.test(encoded)) return `a ${algorithm} digest is lower-case hexadecimal`;
  if (encoded.length !== length) {
    return `a ${algorithm} digest has ${length} hex digits, '${text}' has ${encoded.length}`;
  }
  return undefined;
}

/** Docker Hub's API host for 'docker.io'; every other registry is its own API host. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** 'host/repo' */
export function repositoryName(ref: Pick<Reference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/**
 * `host/repo[:tag][@digest]`. With `familiar`, Docker Hub names are shortened the way the docker
 * CLI shows them (`docker.io/library/nginx` → `nginx`, `docker.io/o/app` → `o/app`).
 */
export function formatReference(ref: Reference, options: { familiar?: boolean } = {}): string {
  let name = repositoryName(ref);
  if (options.familiar && ref.registry === DOCKER_HUB) {
    name =
      ref.repository.startsWith('library/') && ref.repository.split('/').length === 2
        ? ref.repository.slice('library/'.length)
        : ref.repository;
  }
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/**
 * The text with URL userinfo cut out (`https://user:pw@host/x` → `https://host/x`,
 * `user:pw@host/repo` → `host/repo`), so a reference or URL can be quoted in a message without
 * the password someone pasted into it.
 */
export function stripUserinfo(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s]*@/gi, '$1')
    .replace(/^(\s*)[^/\s:@]+:[^/\s]*@(?=[^/@\s]+\/)/, '$1');
}

/** Normalises a registry host: Docker Hub spellings to docker.io, host names to lower case. */
export function normalizeRegistryHost(host: string): string {
  const lower = host.toLowerCase();
  if (DOCKER_HUB_ALIASES.has(lower)) return DOCKER_HUB;
  // A one-label upper-case host (`Foo/bar`) is a host only because of its case: keep it.
  return /[.:]/.test(lower) || lower === 'localhost' ? lower : host;
}

/**
 * Parses `[host[:port]/]path[:tag][@digest]`. With `defaultTag` (the default) a reference with
 * neither tag nor digest gets `latest`, as `docker pull` does.
 */
export function parseReference(text: string, options: { input?: string; defaultTag?: boolean } = {}): Reference {
  const fail = (why: string): never => {
    const quoted = stripUserinfo(text);
    const credentials = quoted !== text ? ' (and credentials do not belong in a reference)' : '';
    throw new ConfigurationError(`'${quoted}' is not a valid image reference: ${why}${credentials}`, options.input);
  };
  const value = text.trim();
  if (value === '') fail('it is empty');
  if (/\s/.test(value)) fail('it contains white space');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) fail('a reference has no URL scheme (write host/repository:tag)');
  if (ANCHORED_HEX64.test(value)) {
    fail('a 64-character hexadecimal string is an image ID, not a repository name');
  }

  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest === '') fail('nothing follows @ (expected a digest such as sha256:<64 hex digits>)');
    const problem = digestProblem(digest);
    if (problem) fail(problem);
  }

  // A tag follows the last colon when no slash comes after it (a colon before a slash is a port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) {
      fail(
        tag === ''
          ? 'nothing follows the colon (expected a tag)'
          : `tag '${tag}' is invalid (a tag is 1 to 128 characters of letters, digits, _ . -, not starting with . or -)`,
      );
    }
  }
  if (rest === '') fail('the repository name is missing');

  // The first component is a registry when it has a dot or a colon, is localhost, or has
  // upper-case letters (repositories never do); otherwise the name is on Docker Hub.
  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      if (!DOMAIN_RE.test(first)) fail(`'${first}' is not a valid registry host[:port]`);
      registry = normalizeRegistryHost(first);
      path = rest.slice(slash + 1);
    }
  }
  if (path === '') fail('the repository name is missing');
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (path !== path.toLowerCase()) fail(`repository name '${path}' must be lower case`);
  for (const component of path.split('/')) {
    if (component === '') fail('the repository path has an empty component (double or trailing slash)');
    if (!PATH_COMPONENT_RE.test(component)) {
      fail(
        `path component '${component}' is invalid (lower-case letters and digits, separated by one '.', one or two '_', or dashes)`,
      );
    }
  }
  const nameLength = registry.length + 1 + path.length;
  if (nameLength > NAME_TOTAL_LENGTH_MAX) {
    fail(`the name is ${nameLength} characters long, more than ${NAME_TOTAL_LENGTH_MAX}`);
  }

  const ref: Reference = { registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (options.defaultTag !== false && tag === undefined && digest === undefined) ref.tag = 'latest';
  return ref;
}
