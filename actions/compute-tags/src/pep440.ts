// PEP 440 versions (Python packaging) for `type=pep440`: parsing, the normalised form and the
// release segments, enough for metadata-action's pep440 rules without a dependency.

export interface Pep440Version {
  raw: string;
  /** normalised (`1.0rc2`, `1.2.post1`, `1.0.dev4`) */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** a pre-, post- or dev-release: no floating tags, no latest */
  isSpecial: boolean;
}

const PEP440 =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

const PRE: Record<string, string> = {
  alpha: 'a',
  a: 'a',
  beta: 'b',
  b: 'b',
  preview: 'rc',
  pre: 'rc',
  c: 'rc',
  rc: 'rc',
};

export function parsePep440(text: string): Pep440Version | undefined {
  const m = PEP440.exec(text);
  if (!m) return undefined;
  const [, epoch, release, preL, preN, postImplicit, postL, postN, devL, devN, local] = m;
  const parts = (release as string).split('.').map((p) => String(Number(p)));
  let version = `${epoch && epoch !== '0' ? `${Number(epoch)}!` : ''}${parts.join('.')}`;
  if (preL) version += `${PRE[preL.toLowerCase()]}${Number(preN || 0)}`;
  if (postImplicit !== undefined) version += `.post${Number(postImplicit)}`;
  else if (postL) version += `.post${Number(postN || 0)}`;
  if (devL) version += `.dev${Number(devN || 0)}`;
  if (local) version += `+${local.toLowerCase().replace(/[-_]/g, '.')}`;
  const n = (i: number) => Number(parts[i] ?? 0);
  return {
    raw: text,
    version,
    major: n(0),
    minor: n(1),
    patch: n(2),
    isSpecial: Boolean(preL || postImplicit !== undefined || postL || devL),
  };
}
