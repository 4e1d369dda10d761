// The runner protocol, the one place that speaks it: inputs from INPUT_* variables, workflow
// commands on stdout (`::name k=v::message`), and file commands appended to the files the runner
// names in GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV and GITHUB_PATH. The encoding is the one the
// runner decodes (and @actions/core writes): `%`, CR and LF escaped in messages, `:` and `,` as
// well in properties; multi-line values between a random heredoc delimiter.
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

/** Writes one workflow command line: `::name key=value,...::message`. */
export function issueCommand(name: string, properties: CommandProperties, message: string): void {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  process.stdout.write(`::${name}${props ? ` ${props}` : ''}::${escapeData(message)}${EOL}`);
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
