// The grammar of the strings a registry hands over that end up in logs, decisions and new
// manifests: media types (RFC 6838 names, as the OCI spec requires for mediaType and
// artifactType) and platform fields (os, architecture, variant: the GOOS/GOARCH vocabulary).
// Anything else is refused where it is parsed: a registry's bytes are verified by digest, its
// strings are not trusted.
import { OperationError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

// restricted-name = restricted-name-first *126restricted-name-chars (RFC 6838 section 4.2)
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE_RE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);
// parameters as registries send them in Content-Type: `; charset=utf-8`
const PARAMETERS_RE = /^(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*\s*$/;
const PLATFORM_PART_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const OS_VERSION_RE = /^[A-Za-z0-9_.+-]{1,128}$/;

/** A bare media type (`type/subtype`, no parameters). */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE_RE.test(value);
}

/** A Content-Type value: a media type with optional `; name=value` parameters. */
export function isContentType(value: string): boolean {
  const semi = value.indexOf(';');
  if (semi < 0) return isMediaType(value.trim());
  return isMediaType(value.slice(0, semi).trim()) && PARAMETERS_RE.test(value.slice(semi));
}

/** One of os, architecture, variant. */
export function isPlatformPart(value: string): boolean {
  return PLATFORM_PART_RE.test(value);
}

export function isOsVersion(value: string): boolean {
  return OS_VERSION_RE.test(value);
}

/** A foreign value quoted for a message: JSON escapes for control characters, cut at 80 characters. */
export function quoteForeign(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Content from a registry that breaks the grammar it must follow. */
export class InvalidContentError extends OperationError {
  constructor(what: string, detail: string) {
    super(`reading ${what}`, detail);
    this.name = 'InvalidContentError';
  }
}

/**
 * A platform (of an index entry or an image config) whose fields follow their grammar; an
 * InvalidContentError names the field otherwise.
 */
export function checkedPlatform(p: Record<string, unknown>, where: string): Platform {
  for (const field of ['os', 'architecture', 'variant'] as const) {
    const value = p[field];
    if (field === 'variant' && (value === undefined || value === '')) continue;
    if (typeof value !== 'string' || !isPlatformPart(value)) {
      throw new InvalidContentError(where, `its platform ${field} ${quoteForeign(value)} is not a platform name`);
    }
  }
  const platform: Platform = { os: p.os as string, architecture: p.architecture as string };
  if (typeof p.variant === 'string' && p.variant !== '') platform.variant = p.variant;
  const version = p['os.version'];
  if (typeof version === 'string' && version !== '') {
    if (!isOsVersion(version)) {
      throw new InvalidContentError(where, `its platform os.version ${quoteForeign(version)} is not a version`);
    }
    platform['os.version'] = version;
  }
  if (Array.isArray(p['os.features'])) {
    const features = p['os.features'].filter((f): f is string => typeof f === 'string');
    const bad = features.find((f) => !isPlatformPart(f));
    if (bad !== undefined) {
      throw new InvalidContentError(where, `its platform os.features entry ${quoteForeign(bad)} is not a feature name`);
    }
    platform['os.features'] = features;
  }
  return platform;
}
