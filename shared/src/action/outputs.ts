// Typed outputs: strings as they are, numbers and booleans as text, objects as JSON.
import * as core from '@actions/core';

export type OutputValue = string | number | boolean | object | null;

export function setOutput(name: string, value: OutputValue): void {
  core.setOutput(name, typeof value === 'string' ? value : JSON.stringify(value));
}

export function setOutputs(outputs: Record<string, OutputValue>): void {
  for (const [name, value] of Object.entries(outputs)) setOutput(name, value);
}
