// Strings read from a registry (artifact types, subject digests, predicate types, certificate
// identities) end up in gate verdicts, logs and errors: they are data, so control characters are
// shown escaped (a newline can never start a workflow command) and length is bounded.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function foreignText(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : String(value);
  const escaped = text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
