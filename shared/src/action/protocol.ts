// The runner protocol, the one place that speaks it: inputs from INPUT_* variables, workflow
// commands on stdout (`::name k=v::message`), and file commands appended to the files the runner
// names in GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV and GITHUB_PATH. The encoding is the one the
// runner decodes (and @actions/core writes): `%`, CR and LF escaped in messages, `:` and `,` as
// well in properties; multi-line values between a random heredoc delimiter.
//
// Every other line on stdout is plain text, and the runner still reads two things in it as
// commands: a line starting with `::` after blanks, and the legacy `##[name]` form anywhere in a
// line. So plain lines pass through `plainLine` (the one rule: nothing foreign can start a
// command), interpolated foreign values through `escapeValue`, and blocks of foreign text are
// written between `::stop-commands::<random token>` and `::<token>::`.
//
// It is written out here instead of imported from @actions/core because that package's entry
// point loads an HTTP client for its OIDC helper at start-up, which alone costs about as much as
// starting node itself; none of the actions needs that helper.
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

export type CommandProperties = Record<string, string | number | undefined>;

export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

// C0 controls (ESC of ANSI sequences, NUL, BEL, backspace...), DEL, C1 controls (NEL) and the
// Unicode line and paragraph separators: each can end, hide or rewrite a line in some viewer.
// Tab stays: it is plain layout.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS_BUT_LINE_ENDS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * The one escaping rule for a foreign value (registry string, file content, input) put into a
 * log line: percent-encoded `%`, CR, LF and every other control character, `::` and `##[`, so the
 * value stays on its line, cannot start or smuggle a workflow command, and reads back unambiguously.
 */
export function escapeValue(value: string): string {
  return value
    .replace(/%/g, '%25')
    .replace(CONTROLS, (c) => encodeURIComponent(c))
    .replace(/::/g, ':%3A')
    .replace(/##\[/g, '#%23[');
}

/**
 * A plain log line made harmless whatever it holds: a leading `::` (after blanks) and every
 * legacy `##[` are escaped, control characters too. `%` is left as it is: the runner does not
 * decode plain lines, so only an escaped value (escapeValue) needs `%` encoded to stay readable.
 */
export function plainLine(line: string): string {
  return line
    .replace(CONTROLS, (c) => encodeURIComponent(c))
    .replace(/##\[/g, '#%23[')
    .replace(/^(\s*):(?=:)/, '$1%3A');
}

/** The token of the open foreign-text block (see beginForeignText); undefined when commands run. */
let stopToken: string | undefined;
/** how many begins are open: blocks nest, and only the outermost end resumes commands */
let foreignDepth = 0;

function write(text: string): void {
  process.stdout.write(text);
}

/** Writes one workflow command line: `::name key=value,...::message`. */
export function issueCommand(name: string, properties: CommandProperties, message: string): void {
  // Besides what the runner decodes (%, CR, LF), other control characters are percent-encoded
  // too, so an annotation cannot carry ANSI sequences or a line separator. A mask is the
  // exception: it must reach the runner as the very secret it hides.
  const encode = (text: string) =>
    name === 'add-mask' ? text : text.replace(CONTROLS_BUT_LINE_ENDS, (c) => encodeURIComponent(c));
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encode(escapeProperty(String(v)))}`)
    .join(',');
  const line = `::${name}${props ? ` ${props}` : ''}::${encode(escapeData(message))}${EOL}`;
  if (stopToken === undefined) {
    write(line);
    return;
  }
  // A command (a mask above all) issued while foreign text streams must still reach the runner:
  // commands resume for this one line and stop again under a fresh token.
  const resume = `::${stopToken}::${EOL}`;
  stopToken = newStopToken();
  write(`${resume}${line}::stop-commands::${stopToken}${EOL}`);
}

/** Writes plain lines: each one through `plainLine`, so no line of it is read as a command. */
export function writePlain(text: string): void {
  write(
    text
      .split(/\r\n|\r|\n/)
      .map((l) => `${plainLine(l)}${EOL}`)
      .join(''),
  );
}

function newStopToken(): string {
  // never the name of a command: the runner refuses those as tokens
  return `stop-${randomUUID()}`;
}

/**
 * Starts a block of foreign text (a tool's output, a file): the runner runs no command in it,
 * whatever its lines say, until endForeignText.
 */
export function beginForeignText(): void {
  foreignDepth++;
  if (stopToken !== undefined) return;
  stopToken = newStopToken();
  write(`::stop-commands::${stopToken}${EOL}`);
}

/** Writes foreign lines inside the open block (control characters but tab escaped). */
export function writeForeignText(text: string): void {
  if (stopToken === undefined) {
    writePlain(text);
    return;
  }
  write(
    text
      .split(/\r\n|\r|\n/)
      .map((l) => `${l.replace(CONTROLS_BUT_LINE_ENDS, (c) => encodeURIComponent(c))}${EOL}`)
      .join(''),
  );
}

export function endForeignText(): void {
  foreignDepth = Math.max(0, foreignDepth - 1);
  if (stopToken === undefined || foreignDepth > 0) return;
  write(`::${stopToken}::${EOL}`);
  stopToken = undefined;
}

/** The runner's variable for an input: `INPUT_` + the name upper-cased, spaces to `_` (hyphens kept). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export function readInput(name: string): string {
  return process.env[inputVariable(name)] ?? '';
}

export function readState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

export type FileCommand = 'OUTPUT' | 'STATE' | 'ENV' | 'PATH';

/**
 * Appends `key<<delimiter\nvalue\ndelimiter` to the runner's file for the command. Returns false
 * when the runner did not name a file (outside a runner), so the caller can decide what to do.
 */
export function writeFileCommand(command: Exclude<FileCommand, 'PATH'>, key: string, value: string): boolean {
  const file = commandFile(command);
  if (!file) return false;
  const delimiter = `ghadelimiter_${randomUUID()}`;
  // a value holding the delimiter would end the heredoc early and inject what follows
  if (key.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`the value of '${key}' contains the heredoc delimiter`);
  }
  appendFileSync(file, `${key}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
  return true;
}

export function writePathCommand(dir: string): boolean {
  const file = commandFile('PATH');
  if (!file) return false;
  appendFileSync(file, `${dir}${EOL}`, 'utf8');
  return true;
}

function commandFile(command: FileCommand): string | undefined {
  const file = process.env[`GITHUB_${command}`];
  if (!file) return undefined;
  if (!existsSync(file)) throw new Error(`the runner's ${command} file ${file} does not exist`);
  return file;
}
