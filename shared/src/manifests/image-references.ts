// Finds container image references in deployment files: Kubernetes objects (`image:` fields at
// any depth), Kustomize `images:` entries, Helm values (`repository` + `tag`/`digest`, optional
// `registry`), Compose `services.*.image`, and Argo CD `kustomize.images` strings. Values are read
// as written (a Helm tag `6.10` stays `6.10`, not the number 6.1). Retention uses it to keep what
// is deployed; gitops-update uses the same positions to edit files.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type YAMLMap,
} from 'yaml';
import { ConfigurationError } from '../errors.js';
import { parseReference } from '../oci/reference.js';

export type ImageReferenceKind = 'image-field' | 'kustomize-images' | 'helm-values' | 'argocd-images' | 'text';

export interface ImageReferenceOccurrence {
  file: string;
  /** 1-based line of the value */
  line: number;
  kind: ImageReferenceKind;
  /** YAML path of the value (or of the map holding repository/tag) */
  path: (string | number)[];
  /** the reference as written (for Helm/Kustomize: assembled from the fields) */
  text: string;
  /** normalised registry host ('docker.io' for Docker Hub) */
  registry: string;
  /** repository path inside the registry */
  repository: string;
  tag?: string;
  digest?: string;
}

export interface UnresolvedReference {
  file: string;
  line: number;
  text: string;
  why: string;
}

export interface ScanResult {
  references: ImageReferenceOccurrence[];
  unresolved: UnresolvedReference[];
}

/** Finds image references in one YAML (or JSON) file's text. Unparsable YAML yields nothing structured. */
export function findImageReferences(content: string, file = '<input>'): ScanResult {
  const result: ScanResult = { references: [], unresolved: [] };
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(content, { lineCounter, merge: true, uniqueKeys: false }) as Document.Parsed[];
    if (!Array.isArray(docs)) return result;
  } catch {
    return result;
  }
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const seen = new Set<string>();
  const add = (kind: ImageReferenceKind, path: (string | number)[], line: number, text: string) => {
    const key = `${line} ${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (text.includes('$') || text.includes('{{')) {
      result.unresolved.push({ file, line, text, why: 'uses a variable or template' });
      return;
    }
    const ref = toReference(text);
    if (!ref) {
      result.unresolved.push({ file, line, text, why: 'is not an image reference' });
      return;
    }
    result.references.push({ file, line, kind, path, text, ...ref });
  };

  for (const doc of docs) {
    if (doc.errors.length > 0) continue;
    // An alias is walked only the first time its node is reached: a node's references are at its
    // own lines, so walking it again adds nothing, and ten lines of aliases of aliases would
    // otherwise expand into billions of visits (the bound maxAliasCount puts on toJS).
    const expanded = new Set<unknown>();
    // biome-ignore lint/suspicious/noExplicitAny: yaml AST nodes of any kind
    const walk = (node: any, path: (string | number)[], depth: number): void => {
      if (depth > 100) return;
      if (isAlias(node)) {
        const target = (node as Alias).resolve(doc);
        if (target === undefined || expanded.has(target)) return;
        expanded.add(target);
        walk(target, path, depth + 1);
        return;
      }
      if (expanded.has(node) && path.length > 0) return;
      if (isMap(node) || isSeq(node)) expanded.add(node);
      if (isMap(node)) {
        const map = node as YAMLMap;
        const helm = helmImage(map, doc);
        if (helm) add('helm-values', path, lineOf(helm.offset), helm.text);
        for (const pair of map.items) {
          if (!isPair(pair)) continue;
          const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
          if (key === undefined) continue;
          const value = isAlias(pair.value) ? (pair.value as Alias).resolve(doc) : pair.value;
          if (key === 'image' && isScalar(value)) {
            const text = scalarText(value);
            if (text) add('image-field', [...path, key], lineOf(value.range?.[0]), text);
          } else if (key === 'images' && isSeq(value)) {
            value.items.forEach((item, i) => {
              const it = isAlias(item) ? (item as Alias).resolve(doc) : item;
              if (isMap(it)) {
                const k = kustomizeImage(it as YAMLMap, doc);
                if (k) add('kustomize-images', [...path, key, i], lineOf((it as YAMLMap).range?.[0]), k);
              } else if (isScalar(it)) {
                // Argo CD's `kustomize.images`: `[name=]newName[:tag][@digest]`
                const text = scalarText(it);
                if (text) add('argocd-images', [...path, key, i], lineOf(it.range?.[0]), text.replace(/^[^=]*=/, ''));
              }
            });
          }
          if (key !== '<<') walk(pair.value, [...path, key], depth + 1);
          else walk(pair.value, path, depth + 1);
        }
        return;
      }
      if (isSeq(node)) {
        for (const [i, item] of node.items.entries()) walk(item, [...path, i], depth + 1);
      }
    };
    walk(doc.contents, [], 0);
  }
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: yaml scalar
function scalarText(node: any): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  const source = (node as { source?: string }).source;
  const text = typeof node.value === 'string' ? node.value : (source ?? String(node.value));
  return text.trim() === '' ? undefined : text.trim();
}

function field(map: YAMLMap, doc: Document, name: string): { text: string; offset: number | undefined } | undefined {
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key) || pair.key.value !== name) continue;
    const value = isAlias(pair.value) ? (pair.value as Alias).resolve(doc) : pair.value;
    const text = scalarText(value);
    // biome-ignore lint/suspicious/noExplicitAny: range of a scalar
    return text === undefined ? undefined : { text, offset: (value as any)?.range?.[0] };
  }
  return undefined;
}

/** Helm's `repository` with `tag` and/or `digest` (and optional `registry`) in one map. */
function helmImage(map: YAMLMap, doc: Document): { text: string; offset: number | undefined } | undefined {
  const repository = field(map, doc, 'repository');
  if (!repository) return undefined;
  const tag = field(map, doc, 'tag');
  const digest = field(map, doc, 'digest');
  if (!tag && !digest) return undefined;
  // `repository: https://charts...` is a chart repository, not an image
  if (/^[a-z]+:\/\//i.test(repository.text)) return undefined;
  const registry = field(map, doc, 'registry');
  const name = registry ? `${registry.text.replace(/\/+$/, '')}/${repository.text}` : repository.text;
  let text = name;
  if (tag) text += `:${tag.text}`;
  if (digest) text += digest.text.includes(':') ? `@${digest.text}` : '';
  return { text, offset: (tag ?? digest ?? repository).offset };
}

/** Kustomize's `images:` entry: newName (or name), newTag, digest. */
function kustomizeImage(map: YAMLMap, doc: Document): string | undefined {
  const name = field(map, doc, 'newName') ?? field(map, doc, 'name');
  if (!name) return undefined;
  const tag = field(map, doc, 'newTag');
  const digest = field(map, doc, 'digest');
  if (!tag && !digest) return undefined;
  return `${name.text}${tag ? `:${tag.text}` : ''}${digest ? `@${digest.text}` : ''}`;
}

function toReference(
  text: string,
): Omit<ImageReferenceOccurrence, 'file' | 'line' | 'kind' | 'path' | 'text'> | undefined {
  try {
    const ref = parseReference(text);
    const out: Omit<ImageReferenceOccurrence, 'file' | 'line' | 'kind' | 'path' | 'text'> = {
      registry: ref.registry,
      repository: ref.repository,
    };
    if (ref.tag) out.tag = ref.tag;
    if (ref.digest) out.digest = ref.digest;
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Mentions of the given repositories anywhere in a text (`host/repo:tag`, `host/repo@sha256:...`),
 * for files or values the structured scan does not understand (Helm parameters, env files).
 */
export function findRepositoryMentions(
  content: string,
  repositories: readonly { registry: string; repository: string }[],
  file = '<input>',
): ImageReferenceOccurrence[] {
  const out: ImageReferenceOccurrence[] = [];
  const lineStarts = [0];
  for (let i = content.indexOf('\n'); i >= 0; i = content.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  for (const repo of repositories) {
    const hosts =
      repo.registry === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [repo.registry];
    const names = hosts.map((h) => `${h}/${repo.repository}`);
    if (repo.registry === 'docker.io' && repo.repository.startsWith('library/')) {
      const short = repo.repository.slice('library/'.length);
      names.push(short, ...hosts.map((h) => `${h}/${short}`));
    } else if (repo.registry === 'docker.io') {
      names.push(repo.repository);
    }
    for (const name of names) {
      const re = new RegExp(
        `(?<![A-Za-z0-9_./-])${escapeForRegExp(name)}(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?(?![A-Za-z0-9_/-])`,
        'g',
      );
      for (let m = re.exec(content); m; m = re.exec(content)) {
        if (!m[1] && !m[2]) continue;
        const occ: ImageReferenceOccurrence = {
          file,
          line: lineAt(m.index),
          kind: 'text',
          path: [],
          text: m[0],
          registry: repo.registry,
          repository: repo.repository,
        };
        if (m[1]) occ.tag = m[1];
        if (m[2]) occ.digest = m[2];
        out.push(occ);
      }
    }
  }
  return out;
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A glob over relative paths: `**` any number of directories, `*` and `?` within one name. */
export function globToRegExp(glob: string, input = 'glob'): RegExp {
  let out = '^';
  const g = glob.replace(/^\.\//, '');
  for (let i = 0; i < g.length; i++) {
    const ch = g[i] as string;
    if (ch === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '{') {
      const end = g.indexOf('}', i);
      if (end < 0) throw new ConfigurationError(`'${glob}' has an unclosed '{'`, input);
      out += `(?:${g
        .slice(i + 1, end)
        .split(',')
        .map((alt) => escapeForRegExp(alt))
        .join('|')})`;
      i = end;
    } else out += escapeForRegExp(ch);
  }
  return new RegExp(`${out}$`);
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MAX_DIRECTORIES = 50_000;

/** Files under `cwd` matching any pattern (`!pattern` excludes), relative paths with `/`, sorted. */
export async function expandFileGlobs(patterns: readonly string[], cwd: string, input = 'glob'): Promise<string[]> {
  const include = patterns.filter((p) => !p.startsWith('!')).map((p) => globToRegExp(p, input));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1), input));
  const found: string[] = [];
  let directories = 0;
  // `ancestors`: the real paths of the directories above, so that a symlink to one of them ends
  // the descent; a directory linked twice side by side is read twice, under both names.
  const walk = async (dir: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const full = join(dir, e.name);
      let isDirectory = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // a deployment file or folder kept elsewhere in the repository and linked in
        const target = await stat(full).catch(() => undefined);
        if (!target) continue; // dangling
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDirectory) {
        if (SKIP_DIRS.has(e.name)) continue;
        const real = await realpath(full);
        if (ancestors.has(real)) continue; // a link back up the tree
        if (++directories > MAX_DIRECTORIES) {
          throw new ConfigurationError(
            `reaches more than ${MAX_DIRECTORIES} directories under ${cwd} (symlinks that fan out?); narrow the globs`,
            input,
          );
        }
        await walk(full, new Set([...ancestors, real]));
      } else if (isFile) {
        const rel = relative(cwd, full).split(sep).join('/');
        if (include.some((re) => re.test(rel)) && !exclude.some((re) => re.test(rel))) found.push(rel);
      }
    }
  };
  await walk(cwd, new Set([await realpath(cwd)]));
  return found.sort();
}

/** Scans the files the patterns select; with `repositories`, text mentions of them are added. */
export async function scanImageReferences(
  patterns: readonly string[],
  options: { cwd: string; repositories?: readonly { registry: string; repository: string }[]; input?: string },
): Promise<ScanResult & { files: string[] }> {
  const files = await expandFileGlobs(patterns, options.cwd, options.input);
  const result: ScanResult & { files: string[] } = { files, references: [], unresolved: [] };
  for (const file of files) {
    const content = await readFile(join(options.cwd, file), 'utf8');
    const structured = /\.(ya?ml|json)$/i.test(file)
      ? findImageReferences(content, file)
      : { references: [], unresolved: [] };
    result.references.push(...structured.references);
    result.unresolved.push(...structured.unresolved);
    if (options.repositories) {
      const known = new Set(
        structured.references.map((r) => `${r.line} ${r.registry}/${r.repository}:${r.tag}@${r.digest}`),
      );
      for (const m of findRepositoryMentions(content, options.repositories, file)) {
        if (!known.has(`${m.line} ${m.registry}/${m.repository}:${m.tag}@${m.digest}`)) result.references.push(m);
      }
    }
  }
  return result;
}
