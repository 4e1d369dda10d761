// Plans the edit of one image in a deployment file, found by content: Kubernetes `image:` fields,
// Compose `image:`, Helm values (`image` strings, `{registry, repository|image, tag, digest}` maps
// anywhere, a global registry, extra `helm-keys` paths), Kustomize `images:` entries, Argo CD
// `helm.parameters` and `kustomize.images` (also in `.argocd-source-<app>.yaml` overrides), and
// Flux `{"$imagepolicy": ...}` markers. Each change is a splice of the value's own byte range
// (yaml-splice.ts), so the rest of the file stays byte for byte as it was.
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type YAMLMap,
} from 'yaml';
import { parseReference } from '../oci/reference.js';
import {
  LineIndex,
  type Rewrite,
  rewriteScalar,
  type ScalarSpot,
  safeAsPlain,
  scalarSpot,
  splice,
} from './yaml-splice.js';

export type ManifestFormat =
  | 'kubernetes'
  | 'compose'
  | 'helm'
  | 'kustomize'
  | 'argocd-helm'
  | 'argocd-kustomize'
  | 'flux';

/** What to write: the image (matched by registry and repository) and its new tag and/or digest. */
export interface ImageUpdate {
  image: { registry: string; repository: string };
  /** the new name as the user writes it (`ghcr.io/org/app`), to rename a moved image */
  newImage?: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
  /** extra Helm value paths (`controller.image`), matched by repository path alone */
  helmKeys?: readonly string[];
  /** `namespace:name` of the Flux ImagePolicy whose markers are acted on */
  fluxPolicy?: string;
  /** add an `images:` entry to a Kustomization that has none for this image */
  kustomizeAdd?: boolean;
}

/** A value as written, with its editable place when it has one. */
interface Field {
  text: string;
  spot?: ScalarSpot;
  why?: string;
  line: number;
}

type Site =
  | { kind: 'string'; format: ManifestFormat; path: string; value: Field; prefix: string }
  | {
      kind: 'fields';
      format: ManifestFormat;
      path: string;
      line: number;
      registry?: Field;
      /** absent for a `helm-keys` path whose repository comes from the chart's defaults */
      name?: Field;
      tag?: Field;
      digest?: Field;
      globalRegistry?: string;
      byPath: boolean;
    };

export interface ImageChange {
  line: number;
  format: ManifestFormat;
  /** YAML path of the value (`spec.template.spec.containers.0.image`) */
  path: string;
  old: string;
  new: string;
  note?: string;
}

export interface FoundReference {
  line: number;
  format: ManifestFormat;
  text: string;
  /** why it was not updated (a different image, a variable, no field to write to...) */
  why?: string;
}

export interface FileEditPlan {
  /** the new text (equal to the input when nothing changes) */
  content: string;
  changes: ImageChange[];
  /** every image reference found, with the reason when it was not updated */
  references: FoundReference[];
  /** scalars that name the Flux policy or the image but cannot be written as they are */
  skipped: FoundReference[];
}

export class ManifestParseError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.name = 'ManifestParseError';
    this.line = line;
  }
}

const MAX_DEPTH = 200;

/** A reference split as written: name (with registry), tag, digest. */
export function splitReference(text: string): { name: string; tag?: string; digest?: string } {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  const out: { name: string; tag?: string; digest?: string } = { name: rest };
  if (colon > rest.lastIndexOf('/')) {
    out.name = rest.slice(0, colon);
    out.tag = rest.slice(colon + 1);
  }
  if (digest !== undefined) out.digest = digest;
  return out;
}

function nameOf(text: string): { registry: string; repository: string } | undefined {
  try {
    const ref = parseReference(text, { defaultTag: false });
    return { registry: ref.registry, repository: ref.repository };
  } catch {
    return undefined;
  }
}

/** The repository path of a name without any registry host (`quay.io/a/b` -> `a/b`). */
function pathOf(text: string): string {
  const parts = text.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] as string)) parts.shift();
  const path = parts.join('/').toLowerCase();
  return path;
}

function samePath(text: string, target: ImageUpdate['image']): boolean {
  const path = pathOf(text);
  if (path === target.repository) return true;
  return target.registry === 'docker.io' && `library/${path}` === target.repository;
}

function sameImage(text: string, target: ImageUpdate['image']): boolean {
  const n = nameOf(text);
  return n !== undefined && n.registry === target.registry && n.repository === target.repository;
}

const isVariable = (text: string) => text.includes('$') || text.includes('{{');

/** Finds the image's references in one file and plans their edit. Throws ManifestParseError for text that is not YAML. */
export function planImageEdit(source: string, update: ImageUpdate): FileEditPlan {
  const lines = new LineIndex(source);
  const docs = parseAllDocuments(source, { uniqueKeys: false });
  if (!Array.isArray(docs)) throw new ManifestParseError('is empty or not YAML', 1);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = lines.lineOf(error.pos[0]);
      const why = (error.message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '');
      throw new ManifestParseError(`is not valid YAML (line ${line}: ${why})`, line);
    }
  }
  const sites: Site[] = [];
  const valueSpots = new Map<number, ScalarSpot[]>();
  const helmKeys = (update.helmKeys ?? []).map((k) => k.split('.'));

  for (const doc of docs) findSites(doc, source, lines, helmKeys, sites, valueSpots);
  const markers = findFluxMarkers(source, lines, valueSpots);
  const planned = plan(source, sites, markers, update);
  const only = docs.length === 1 ? docs[0] : undefined;
  if (!update.kustomizeAdd || !only || formatOf(only) !== 'kustomize' || planned.matched.has('kustomize')) {
    return planned.result;
  }
  const added = kustomizeEntry(only, source, lines, update);
  const { result } = planned;
  if ('why' in added) {
    result.skipped.push({ line: 1, format: 'kustomize', text: 'images', why: added.why });
    return result;
  }
  result.content = splice(source, [...planned.rewrites, added.rewrite]);
  result.changes.push(added.change);
  result.changes.sort((a, b) => a.line - b.line);
  return result;
}

/** Where the last value inside a node ends (a collection's own range runs on over trailing comments). */
function valueEnd(node: unknown): number | undefined {
  if (isScalar(node) || isAlias(node)) return node.range?.[1];
  if (isMap(node) || isSeq(node)) {
    let end: number | undefined;
    for (const item of node.items) {
      const e = isPair(item) ? (valueEnd(item.value) ?? valueEnd(item.key)) : valueEnd(item);
      if (e !== undefined && (end === undefined || e > end)) end = e;
    }
    return end;
  }
  return undefined;
}

/** A new `images:` entry for the image, appended to the list (or a new list at the end). */
function kustomizeEntry(
  doc: Document,
  source: string,
  lines: LineIndex,
  update: ImageUpdate,
): { rewrite: Rewrite; change: ImageChange } | { why: string } {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const name =
    update.image.registry === 'docker.io'
      ? update.image.repository.replace(/^library\//, '')
      : `${update.image.registry}/${update.image.repository}`;
  const scalar = (v: string) => (safeAsPlain(v) ? v : JSON.stringify(v));
  const fields = [`name: ${scalar(name)}`];
  if (update.newImage) fields.push(`newName: ${scalar(update.newImage)}`);
  if (update.tag) fields.push(`newTag: ${scalar(update.tag)}`);
  if (update.digest) fields.push(`digest: ${update.digest}`);
  const shown = `${update.newImage ?? name}${update.tag ? `:${update.tag}` : ''}${update.digest ? `@${update.digest}` : ''}`;
  const root = doc.contents as YAMLMap;
  const images = root.get('images', true);
  let at: number;
  let text: string;
  if (images === undefined) {
    at = source.length;
    const before = source.slice(0, at);
    const lead = before === '' || before.endsWith('\n') ? '' : eol;
    text = `${lead}images:${eol}${fields.map((f, i) => `${i === 0 ? '- ' : '  '}${f}${eol}`).join('')}`;
  } else if (isSeq(images) && !images.flow && images.items.length > 0 && images.range) {
    const first = images.range[0];
    const lineStart = source.lastIndexOf('\n', first - 1) + 1;
    const indent = source.slice(lineStart, first);
    if (!/^ *$/.test(indent)) return { why: 'its images list does not start on a line of its own' };
    const end = valueEnd(images.items.at(-1)) ?? images.range[1];
    const nl = source.indexOf('\n', end);
    at = nl < 0 ? source.length : nl + 1;
    const lead = nl < 0 ? eol : '';
    text = `${lead}${fields.map((f, i) => `${indent}${i === 0 ? '- ' : '  '}${f}${eol}`).join('')}`;
  } else {
    return { why: 'its images list is empty or written in flow style; add the entry once by hand' };
  }
  const line = lines.lineOf(Math.min(at, Math.max(0, source.length - 1))) + (at >= source.length ? 1 : 0);
  return {
    rewrite: { start: at, end: at, replacement: text },
    change: { line, format: 'kustomize', path: 'images', old: '', new: shown, note: 'added a Kustomize images entry' },
  };
}

function field(node: unknown, source: string, lines: LineIndex): Field | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  if (value === null || value === undefined) return undefined;
  const r = scalarSpot(node, source, lines);
  const line = lines.lineOf(node.range?.[0] ?? 0);
  if ('spot' in r) return { text: r.spot.text.trim(), spot: r.spot, line };
  const text = typeof value === 'string' ? value : String(value);
  return { text: text.trim(), why: `the value ${r.why}`, line };
}

function formatOf(doc: Document): ManifestFormat {
  const root = doc.contents;
  if (!isMap(root)) return 'helm';
  const keys = new Set(root.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')));
  if (keys.has('apiVersion') && keys.has('kind')) {
    const kind = String((root as YAMLMap).get('kind') ?? '');
    if (kind === 'Kustomization' || kind === 'Component') return 'kustomize';
    return 'kubernetes';
  }
  if (keys.has('services')) return 'compose';
  // a Kustomization may leave out apiVersion and kind; Helm values name maps `resources` too
  if (['resources', 'components', 'bases'].some((k) => isSeq((root as YAMLMap).get(k, true)))) return 'kustomize';
  return 'helm';
}

function globalRegistryOf(doc: Document): string | undefined {
  const g = doc.getIn(['global', 'imageRegistry']) ?? doc.getIn(['global', 'image', 'registry']);
  return typeof g === 'string' && g.trim() !== '' ? g.trim().replace(/\/+$/, '') : undefined;
}

function findSites(
  doc: Document,
  source: string,
  lines: LineIndex,
  helmKeys: string[][],
  sites: Site[],
  valueSpots: Map<number, ScalarSpot[]>,
): void {
  const format = formatOf(doc);
  const globalRegistry = format === 'helm' ? globalRegistryOf(doc) : undefined;
  const visited = new Set<unknown>();
  const resolve = (node: unknown): unknown => (isAlias(node) ? (node as Alias).resolve(doc) : node);
  const rememberSpot = (node: unknown) => {
    if (!isScalar(node)) return;
    const r = scalarSpot(node, source, lines);
    if (!('spot' in r)) return;
    const list = valueSpots.get(r.spot.line) ?? [];
    list.push(r.spot);
    valueSpots.set(r.spot.line, list);
  };
  const isHelmKey = (path: string[]) =>
    helmKeys.some((k) => k.length === path.length && k.every((p, i) => p === path[i]));

  const fieldsOf = (map: YAMLMap) => {
    const get = (name: string) => {
      for (const pair of map.items) {
        if (isPair(pair) && isScalar(pair.key) && pair.key.value === name)
          return field(resolve(pair.value), source, lines);
      }
      return undefined;
    };
    return get;
  };

  const mapSite = (map: YAMLMap, path: string[], inImages: boolean): boolean => {
    const get = fieldsOf(map);
    const line = lines.lineOf(map.range?.[0] ?? 0);
    const where = path.join('.');
    if (inImages) {
      const newName = get('newName');
      const name = newName ?? get('name');
      if (!name) return false;
      const tag = get('newTag');
      const digest = get('digest');
      sites.push({
        kind: 'fields',
        format: 'kustomize',
        path: where,
        line,
        name,
        byPath: false,
        ...opt({ tag, digest }),
      });
      return true;
    }
    const byPath = isHelmKey(path);
    const repository = get('repository');
    const imageField = isScalar(resolve(map.get('image', true))) ? get('image') : undefined;
    const registry = get('registry');
    const tag = get('tag');
    const digest = get('digest');
    let name: Field | undefined;
    if (repository && !/^[a-z]+:\/\//i.test(repository.text)) name = repository;
    else if (imageField && registry && !imageField.text.includes(':')) name = imageField;
    if (!name && !(byPath && (tag || digest))) return false;
    if (!tag && !digest && !byPath) return false;
    sites.push({
      kind: 'fields',
      format: format === 'kubernetes' ? 'helm' : format,
      path: where,
      line,
      byPath,
      ...opt({ name, registry, tag, digest, globalRegistry: registry ? undefined : globalRegistry }),
    });
    return true;
  };

  const parametersSites = (seq: unknown, path: string[]) => {
    if (!isSeq(seq)) return;
    const groups = new Map<string, Record<string, Field>>();
    for (const item of seq.items) {
      const it = resolve(item);
      if (!isMap(it)) continue;
      const nameNode = resolve(it.get('name', true));
      const valueNode = resolve(it.get('value', true));
      if (!isScalar(nameNode) || typeof nameNode.value !== 'string') continue;
      rememberSpot(valueNode);
      const value = field(valueNode, source, lines);
      if (!value) continue;
      const name = nameNode.value;
      const dot = name.lastIndexOf('.');
      const prefix = dot >= 0 ? name.slice(0, dot) : '';
      const key = name.slice(dot + 1);
      if (!['repository', 'registry', 'image', 'tag', 'digest'].includes(key)) continue;
      const group = groups.get(prefix) ?? {};
      group[key] = value;
      groups.set(prefix, group);
    }
    for (const [prefix, g] of groups) {
      const where = [...path, prefix].filter(Boolean).join('.');
      const nameField = g.repository ?? (g.registry ? g.image : undefined);
      const byPath = prefix !== '' && isHelmKey(prefix.split('.'));
      if ((nameField || byPath) && (g.tag || g.digest)) {
        const line = (nameField ?? g.tag ?? g.digest)?.line ?? 1;
        sites.push({
          kind: 'fields',
          format: 'argocd-helm',
          path: where,
          line,
          byPath,
          ...opt({ name: nameField, registry: g.registry, tag: g.tag, digest: g.digest }),
        });
      } else if (g.image && !g.registry) {
        sites.push({ kind: 'string', format: 'argocd-helm', path: `${where}.image`, value: g.image, prefix: '' });
      }
    }
  };

  const walk = (raw: unknown, path: string[], depth: number, context: { argoSource: boolean }): void => {
    if (depth > MAX_DEPTH) return;
    const node = resolve(raw);
    if (node === null || typeof node !== 'object' || visited.has(node)) return;
    visited.add(node);
    if (isMap(node)) {
      const map = node as YAMLMap;
      const fieldsSite = mapSite(map, path, false);
      const argoSource = context.argoSource || map.has('repoURL');
      for (const pair of map.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const value = resolve(pair.value);
        rememberSpot(value);
        const here = key === '<<' ? path : [...path, key];
        if (key === 'image' && isScalar(value) && !fieldsSite) {
          const f = field(value, source, lines);
          if (f) {
            const fmt = format === 'kustomize' ? 'kubernetes' : format;
            sites.push({ kind: 'string', format: fmt, path: here.join('.'), value: f, prefix: '' });
          }
        } else if (key === 'images' && isSeq(value)) {
          const argo = path.at(-1) === 'kustomize';
          value.items.forEach((item, i) => {
            const it = resolve(item);
            if (isMap(it)) {
              if (visited.has(it)) return;
              visited.add(it);
              for (const p of it.items) if (isPair(p)) rememberSpot(resolve(p.value));
              mapSite(it as YAMLMap, [...here, String(i)], true);
            } else if (isScalar(it)) {
              rememberSpot(it);
              const f = field(it, source, lines);
              if (!f) return;
              const eq = argo ? f.text.indexOf('=') : -1;
              const prefix = eq >= 0 ? f.text.slice(0, eq + 1) : '';
              sites.push({
                kind: 'string',
                format: argo ? 'argocd-kustomize' : 'kustomize',
                path: [...here, String(i)].join('.'),
                value: f,
                prefix,
              });
            }
          });
          continue;
        } else if (key === 'parameters' && path.at(-1) === 'helm') {
          parametersSites(value, here);
          continue;
        }
        if (isScalar(value) && isHelmKey(here) && key !== 'image') {
          const f = field(value, source, lines);
          if (f) sites.push({ kind: 'string', format: 'helm', path: here.join('.'), value: f, prefix: '' });
        }
        walk(value, here, depth + 1, { argoSource });
      }
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        rememberSpot(resolve(item));
        walk(item, [...path, String(i)], depth + 1, context);
      });
    }
  };
  walk(doc.contents, [], 0, { argoSource: false });
}

function opt<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

interface FluxMarker {
  line: number;
  policy: string;
  part: 'full' | 'tag' | 'name' | 'digest';
  spot?: ScalarSpot;
}

const FLUX_MARKER = /#\s*\{\s*"\$imagepolicy"\s*:\s*"([^"]*)"\s*\}/g;

function findFluxMarkers(source: string, lines: LineIndex, valueSpots: Map<number, ScalarSpot[]>): FluxMarker[] {
  const out: FluxMarker[] = [];
  for (const m of source.matchAll(FLUX_MARKER)) {
    const line = lines.lineOf(m.index);
    const parts = (m[1] as string).split(':');
    const last = parts.at(-1) as string;
    let part: FluxMarker['part'] = 'full';
    if (parts.length === 3 && (last === 'tag' || last === 'name' || last === 'digest')) {
      part = last;
      parts.pop();
    }
    const spot = (valueSpots.get(line) ?? []).filter((s) => s.end <= m.index).sort((a, b) => b.start - a.start)[0];
    out.push({ line, policy: parts.join(':'), part, ...opt({ spot }) });
  }
  return out;
}

interface Wanted {
  spot: ScalarSpot;
  value: string;
}

function plan(
  source: string,
  sites: Site[],
  markers: FluxMarker[],
  update: ImageUpdate,
): { result: FileEditPlan; rewrites: Rewrite[]; matched: Set<ManifestFormat> } {
  const matched = new Set<ManifestFormat>();
  const changes: ImageChange[] = [];
  const references: FoundReference[] = [];
  const skipped: FoundReference[] = [];
  const rewrites: Rewrite[] = [];
  const taken = new Set<number>();
  const target = update.image;

  const write = (format: ManifestFormat, path: string, wanted: Wanted[]) => {
    for (const w of wanted) {
      if (taken.has(w.spot.start)) continue;
      taken.add(w.spot.start);
      if (w.spot.text === w.value) continue;
      const r = rewriteScalar(w.spot, w.value);
      rewrites.push(r);
      changes.push({ line: w.spot.line, format, path, old: w.spot.text, new: w.value, ...opt({ note: r.note }) });
    }
  };

  // Flux markers decide for the scalars they sit beside; other policies' scalars are not ours.
  const fluxSpots = new Set<number>();
  if (update.fluxPolicy) {
    const ours = markers.filter((m) => m.policy === update.fluxPolicy);
    const hasDigestMarker = ours.some((m) => m.part === 'digest');
    for (const m of markers) {
      if (!m.spot) {
        if (m.policy === update.fluxPolicy)
          skipped.push({
            line: m.line,
            format: 'flux',
            text: m.policy,
            why: 'the marker sits beside no single-line value',
          });
        continue;
      }
      fluxSpots.add(m.spot.start);
      if (m.policy !== update.fluxPolicy) {
        references.push({ line: m.line, format: 'flux', text: m.spot.text, why: `belongs to Flux policy ${m.policy}` });
        continue;
      }
      references.push({ line: m.line, format: 'flux', text: m.spot.text });
      const old = m.spot.text;
      let value: string | undefined;
      if (m.part === 'full') value = newReference(old, update);
      else if (m.part === 'name') value = update.newImage ?? old;
      else if (m.part === 'digest') value = update.digest ?? old;
      else {
        const oldTag = old.split('@')[0] as string;
        const tag = update.tag ?? oldTag;
        value = update.digest && !hasDigestMarker ? `${tag}@${update.digest}` : tag;
      }
      write('flux', `line ${m.line}`, [{ spot: m.spot, value }]);
    }
  }

  for (const site of sites) {
    if (site.kind === 'string') {
      const { value, prefix } = site;
      if (value.spot && fluxSpots.has(value.spot.start)) continue;
      const text = value.text.slice(prefix.length);
      const ref: FoundReference = { line: value.line, format: site.format, text };
      references.push(ref);
      if (isVariable(text)) {
        ref.why = 'uses a variable or template, never rewritten';
        if (text.toLowerCase().includes(target.repository.replace(/^library\//, ''))) skipped.push(ref);
        continue;
      }
      const name = splitReference(text).name;
      const matches = sameImage(name, target) || (isHelmPath(site, update) && samePath(name, target));
      if (!matches) {
        ref.why = whyNot(name, target);
        continue;
      }
      matched.add(site.format);
      if (!value.spot) {
        ref.why = value.why ?? 'cannot be edited in place';
        skipped.push(ref);
        continue;
      }
      write(site.format, site.path, [{ spot: value.spot, value: prefix + newReference(text, update) }]);
      continue;
    }
    // separate fields
    const registryText = site.registry?.text.replace(/\/+$/, '');
    const nameText = site.name?.text ?? '';
    const assembled = site.name ? (registryText ? `${registryText}/${nameText}` : nameText) : `(${site.path})`;
    const shown = `${assembled}${site.tag ? `:${site.tag.text}` : ''}${site.digest ? `@${site.digest.text}` : ''}`;
    const ref: FoundReference = { line: site.line, format: site.format, text: shown };
    references.push(ref);
    if ([site.name, site.tag, site.digest, site.registry].some((f) => f?.spot && fluxSpots.has(f.spot.start))) {
      ref.why = 'carries a Flux marker';
      continue;
    }
    if ([site.name, site.tag, site.digest, site.registry].some((f) => f && isVariable(f.text))) {
      ref.why = 'uses a variable or template, never rewritten';
      continue;
    }
    let via: 'own' | 'global' | 'path' | undefined;
    if (sameImage(assembled, target)) via = 'own';
    else if (site.name && site.globalRegistry && sameImage(`${site.globalRegistry}/${nameText}`, target))
      via = 'global';
    else if (site.byPath && (!site.name || samePath(nameText, target))) via = 'path';
    if (!via) {
      ref.why = whyNot(assembled, target, site.globalRegistry);
      continue;
    }
    matched.add(site.format);
    const planned = planFields(site, update, via);
    if ('why' in planned) {
      ref.why = planned.why;
      skipped.push(ref);
      continue;
    }
    write(site.format, site.path, planned.wanted);
  }

  const content = rewrites.length > 0 ? splice(source, rewrites) : source;
  changes.sort((a, b) => a.line - b.line);
  return { result: { content, changes, references, skipped }, rewrites, matched };
}

function isHelmPath(site: Site, update: ImageUpdate): boolean {
  return (update.helmKeys ?? []).includes(site.path);
}

/** The new text of a full reference: the name kept as written unless renamed. */
export function newReference(oldText: string, update: ImageUpdate): string {
  const old = splitReference(oldText);
  const name = update.newImage ?? old.name;
  // a digest alone keeps the tag as a label; a tag alone drops a digest that would pin the old image
  const tag = update.tag ?? (update.digest ? old.tag?.split('@')[0] : undefined);
  return `${name}${tag ? `:${tag}` : ''}${update.digest ? `@${update.digest}` : ''}`;
}

function planFields(
  site: Extract<Site, { kind: 'fields' }>,
  update: ImageUpdate,
  via: 'own' | 'global' | 'path',
): { wanted: Wanted[] } | { why: string } {
  const wanted: Wanted[] = [];
  const need = (f: Field | undefined, what: string): ScalarSpot | { why: string } => {
    if (!f) return { why: `has no ${what} field to write to` };
    if (!f.spot) return { why: `its ${what} ${f.why ?? 'cannot be edited in place'}` };
    return f.spot;
  };
  if (update.newImage) {
    const renamed = nameOf(update.newImage);
    if (!renamed) return { why: `'${update.newImage}' is not an image name` };
    if (via === 'own' && !site.registry) {
      const s = need(site.name, 'name');
      if ('why' in s) return s;
      wanted.push({ spot: s, value: update.newImage });
    } else if (via === 'own' && site.registry) {
      const parts = update.newImage.split('/');
      const host = parts.length > 1 && /[.:]|^localhost$/.test(parts[0] as string) ? parts.shift() : undefined;
      const r = need(site.registry, 'registry');
      const n = need(site.name, 'repository');
      if ('why' in r) return r;
      if ('why' in n) return n;
      wanted.push({ spot: r, value: host ?? 'docker.io' }, { spot: n, value: parts.join('/') });
    } else {
      if (renamed.registry !== update.image.registry)
        return { why: 'takes its registry from elsewhere; renaming to another registry cannot be written here' };
      const n = need(site.name, 'repository');
      if ('why' in n) return n;
      wanted.push({ spot: n, value: pathOf(update.newImage) });
    }
  }
  const kustomize = site.format === 'kustomize';
  if (update.digest) {
    if (site.digest) {
      const d = need(site.digest, 'digest');
      if ('why' in d) return d;
      wanted.push({ spot: d, value: update.digest });
      if (update.tag) {
        const t = need(site.tag, kustomize ? 'newTag' : 'tag');
        if (!('why' in t)) wanted.push({ spot: t, value: update.tag });
        else if (site.tag) return t;
      }
    } else if (kustomize) {
      return { why: 'has no digest field to write the digest to (add `digest:` to the entry)' };
    } else {
      // charts that assemble `repository:tag` take `tag@digest` in the tag field
      const t = need(site.tag, 'tag or digest');
      if ('why' in t) return t;
      const tag = update.tag ?? (site.tag?.text.split('@')[0] as string);
      wanted.push({ spot: t, value: `${tag}@${update.digest}` });
    }
  } else if (update.tag) {
    if (site.digest && site.digest.text !== '')
      return { why: `pins digest ${site.digest.text} in its own field; give digest as well as tag` };
    const t = need(site.tag, kustomize ? 'newTag' : 'tag');
    if ('why' in t) return t;
    wanted.push({ spot: t, value: update.tag });
  }
  return { wanted };
}

function whyNot(name: string, target: ImageUpdate['image'], globalRegistry?: string): string {
  const n = nameOf(name);
  if (!n) return 'is not an image reference';
  if (n.repository === target.repository && n.registry !== target.registry)
    return `is in registry ${n.registry}, not ${target.registry}${globalRegistry ? ` (global registry ${globalRegistry} tried too)` : ''}`;
  return `names ${n.registry}/${n.repository}`;
}
