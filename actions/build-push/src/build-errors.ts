// Turns a builder's failing output into one readable error: the builder's last meaningful error
// lines and, when it can be found, the Dockerfile line that failed.
import { lastMeaningfulLine } from '#shared/exec.js';

export interface BuildFailure {
  /** the builder's own error text (one line) */
  message: string;
  /** 1-based Dockerfile line, when the output names or implies it */
  line?: number;
}

/** The first line of each Dockerfile instruction, in order (continuations and comments skipped). */
export function instructionLines(dockerfile: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const lines = dockerfile.split(/\r?\n/);
  let continuing = false;
  lines.forEach((raw, i) => {
    const text = raw.trim();
    const wasContinuing = continuing;
    continuing = text.endsWith('\\');
    if (wasContinuing || text === '' || text.startsWith('#')) return;
    out.push({ line: i + 1, text });
  });
  return out;
}

const ERROR_LINE = /^(ERROR:|Error:|error:|Error response from daemon:|[A-Z]+ failed:|.*\bfailed to solve\b)/;

function clean(line: string): string {
  return line
    .replace(/^#\d+\s+(\d+(\.\d+)?\s+)?/, '')
    .replace(/^(ERROR|Error|error):\s*/, '')
    .replace(/^Error response from daemon:\s*/, '')
    .trim();
}

export function describeBuildFailure(output: string, dockerfile?: string): BuildFailure {
  const lines = output.split(/\r?\n/).map((l) => l.trimEnd());
  const errors = lines.filter((l) => ERROR_LINE.test(l.trim()) || / ERROR: /.test(l)).map(clean);
  const unique = [...new Set(errors.filter(Boolean))];
  const message = unique.slice(-2).join('; ') || lastMeaningfulLine(output) || 'the builder failed without saying why';
  return { message, line: failingLine(lines, message, dockerfile) };
}

function failingLine(lines: string[], message: string, dockerfile?: string): number | undefined {
  // buildx prints the failing source as `Dockerfile:<line>` (or `<file>:<line>`) before a code frame
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\S*Dockerfile[^:\s]*:(\d+)$/i.exec((lines[i] as string).trim());
    if (m) return Number(m[1]);
  }
  const parse = /parse error (?:on )?line (\d+)/i.exec(message) ?? /\bline (\d+)\b/i.exec(message);
  if (parse) return Number(parse[1]);
  if (!dockerfile) return undefined;
  const instructions = instructionLines(dockerfile);
  // the classic builder numbers its steps: the last `Step N/M` started is the one that failed
  const steps = lines.map((l) => /^Step (\d+)\/\d+ :/.exec(l.trim())).filter(Boolean);
  const lastStep = steps.at(-1);
  if (lastStep) return instructions[Number(lastStep[1]) - 1]?.line;
  // buildah names the instruction text: `error building at STEP "COPY x /y"`
  const step = /STEP "([^"]+)"/.exec(message) ?? lines.map((l) => /STEP "([^"]+)"/.exec(l)).findLast(Boolean);
  if (step) {
    const wanted = (step[1] as string).replace(/\s+/g, ' ');
    return instructions.find((i) => i.text.replace(/\s+/g, ' ') === wanted)?.line;
  }
  return undefined;
}
