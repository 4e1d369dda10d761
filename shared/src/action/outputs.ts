// Typed outputs: strings as they are, numbers and booleans as text, objects as JSON.
import { issueCommand, writeFileCommand, writePathCommand } from './protocol.js';

export type OutputValue = string | number | boolean | object | null;

export function setOutput(name: string, value: OutputValue): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // outside a runner (no GITHUB_OUTPUT file) the value is at least visible in the log
  if (!writeFileCommand('OUTPUT', name, text)) issueCommand('set-output', { name }, text);
}

export function setOutputs(outputs: Record<string, OutputValue>): void {
  for (const [name, value] of Object.entries(outputs)) setOutput(name, value);
}

/** Sets a variable for the later steps of the job (GITHUB_ENV) and for this process. */
export function exportVariable(name: string, value: string): void {
  process.env[name] = value;
  if (!writeFileCommand('ENV', name, value)) issueCommand('set-env', { name }, value);
}

/** Puts a folder first on PATH for the later steps of the job and for this process. */
export function addPath(dir: string): void {
  process.env.PATH = `${dir}:${process.env.PATH ?? ''}`;
  if (!writePathCommand(dir)) issueCommand('add-path', {}, dir);
}
