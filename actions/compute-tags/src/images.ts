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
  const fields = splitOutsideQuotes(line, ',')
    .map((s) => s.trim())
    .filter(Boolean);
  // a list of names (`ghcr.io/o/app,docker.io/o/app`) unless a field is an attribute
  if (!fields.some((f) => f.includes('='))) return fields.map((name) => ({ name, enable: 'true' }));
  // metadata-action's attribute form: `name=ghcr.io/o/app,enable=false`, or the name first
  // without `name=` (`ghcr.io/o/app,enable=false`)
  let name: string | undefined;
  let enable = 'true';
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? 'name' : field.slice(0, eq).trim().toLowerCase();
    const value = eq < 0 ? field : field.slice(eq + 1).trim();
    if (key !== 'name' && key !== 'enable') {
      throw new ConfigurationError(`'${line}': '${field}' is not an image name, name=... or enable=...`, 'images');
    }
    if (key === 'name') {
      if (name !== undefined) throw new ConfigurationError(`'${line}' names more than one image`, 'images');
      name = value;
    } else enable = value.toLowerCase();
  }
  if (!name) throw new ConfigurationError(`'${line}' has no image name`, 'images');
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
