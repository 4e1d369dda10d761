// Reads stdout the way the runner's command manager does, to tell which lines it would run as
// workflow commands: a line that starts with `::name ...::` after blanks (names are matched
// without regard to case, and only registered names count), else the legacy `##[name ...]`
// anywhere in the line; `::stop-commands::<token>` stops all of it until a `::<token>::` line.

/** The commands the runner knows (actions/runner ActionCommandManager and its extensions). */
export const RUNNER_COMMANDS = [
  'add-mask',
  'add-path',
  'set-env',
  'set-output',
  'save-state',
  'add-matcher',
  'remove-matcher',
  'warning',
  'error',
  'notice',
  'debug',
  'group',
  'endgroup',
  'echo',
  'stop-commands',
  'internal-set-repo-path',
];

export interface RunnerCommand {
  name: string;
  /** the raw text after the name: `k=v,...` (V2) or `k=v;...` (legacy) */
  properties: string;
  data: string;
  legacy: boolean;
  line: string;
}

function parseV2(line: string, registered: Set<string>): RunnerCommand | undefined {
  const trimmed = line.replace(/^\s+/, '');
  if (!trimmed.startsWith('::')) return undefined;
  const end = trimmed.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = trimmed.slice(2, end);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!registered.has(name)) return undefined;
  return {
    name,
    properties: space < 0 ? '' : info.slice(space + 1),
    data: trimmed.slice(end + 2),
    legacy: false,
    line,
  };
}

function parseLegacy(line: string, registered: Set<string>): RunnerCommand | undefined {
  const at = line.indexOf('##[');
  if (at < 0) return undefined;
  const close = line.indexOf(']', at);
  if (close < 0) return undefined;
  const info = line.slice(at + 3, close);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!registered.has(name)) return undefined;
  return { name, properties: space < 0 ? '' : info.slice(space + 1), data: line.slice(close + 1), legacy: true, line };
}

/** Every line of `stdout` the runner would run as a command, in order (stop/resume included). */
export function runnerCommands(stdout: string): RunnerCommand[] {
  const registered = new Set(RUNNER_COMMANDS);
  const found: RunnerCommand[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    const command = parseV2(line, registered) ?? parseLegacy(line, registered);
    if (!command) continue;
    if (stopToken !== undefined) {
      if (command.name === stopToken) {
        registered.delete(stopToken);
        stopToken = undefined;
        found.push(command);
      }
      continue;
    }
    found.push(command);
    if (command.name === 'stop-commands') {
      stopToken = command.data.toLowerCase();
      registered.add(stopToken);
    }
  }
  return found;
}
