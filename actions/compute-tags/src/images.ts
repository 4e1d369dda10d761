// The `images` input: image names validated by the Docker reference grammar, upper case folded
// with a warning, kept in the form the user wrote (`name/app`, not `docker.io/name/app`).
import { ConfigurationError } from '#shared/errors.js';
import { splitOutsideQuotes } from '#shared/parse.js';
import { parseReference, type Reference } from '#shared/oci/reference.js';

export interface ImageName {
  /** as the user wrote it, lower-cased: the tags output is `${text}:${tag}` */
  text: string;
  ref: Reference;
}

function entries(line: string): Array<{ name: string; enable: string }> {
  // metadata-action's long form: `name=ghcr.io/o/app,enable=false`
  if (!/^\s*(name|enable)\s*=/i.test(line)) {
    return splitOutsideQuotes(line, ',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((name) => ({ name, enable: 'true' }));
  }
  let name: string | undefined;
  let enable = 'true';
  for (const field of splitOutsideQuotes(line, ',')) {
    const eq = field.indexOf('=');
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1).trim();
    if (eq < 0 || (key !== 'name' && key !== 'enable')) {
      throw new ConfigurationError(`'${line}': '${field.trim()}' is not name=... or enable=...`, 'images');
    }
    if (key === 'name') name = value;
    else enable = value.toLowerCase();
  }
  if (!name) throw new ConfigurationError(`'${line}' has no name=`, 'images');
  if (enable !== 'true' && enable !== 'false') {
    throw new ConfigurationError(`'${line}': enable='${enable}' is not accepted (expected true or false)`, 'images');
  }
  return [{ name, enable }];
}

export function parseImages(lines: readonly string[], warn: (message: string) => void): ImageName[] {
  const images: ImageName[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    for (const { name, enable } of entries(line)) {
      if (enable === 'false') continue;
      let text = name;
      if (text !== text.toLowerCase()) {
        text = text.toLowerCase();
        warn(`Image '${name}' has upper-case letters; repository names are lower case, so '${text}' is used`);
      }
      const ref = parseReference(text, { input: 'images', defaultTag: false });
      if (ref.tag !== undefined || ref.digest !== undefined) {
        throw new ConfigurationError(
          `'${name}' names a ${ref.digest ? 'digest' : 'tag'}; give the image name only (such as ghcr.io/acme/api), the tags come from the tags input`,
          'images',
        );
      }
      const key = `${ref.registry}/${ref.repository}`;
      if (seen.has(key)) continue;
      seen.add(key);
      images.push({ text, ref });
    }
  }
  if (images.length === 0) {
    throw new ConfigurationError('names no enabled image (expected image names such as ghcr.io/acme/api)', 'images');
  }
  return images;
}
