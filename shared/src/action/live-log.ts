// The live log of a long child process (a build, a push): its lines shown as they arrive, in a
// log group per platform, the way other build actions show their builder. Everything the program
// prints is foreign text, so workflow commands are stopped inside each group (a line such as
// `::add-mask::` or `::set-output` from a Dockerfile RUN step is shown, never obeyed); the
// runner still masks registered secrets in every line.
import { beginForeignText, endForeignText, issueCommand, writeForeignText } from './protocol.js';

export interface LiveLog {
  /** one line of the program's output, shown at once */
  line(text: string): void;
  /** closes the open group (call it when the program has ended, in a finally) */
  end(): void;
}

export interface LiveLogOptions {
  /** the group title for a platform (undefined: lines seen before any platform showed) */
  title: (platform: string | undefined) => string;
  /**
   * The platform a line belongs to, when it says so; undefined keeps the line with the group
   * that is open. Builders interleave platforms, so a change of platform closes the group and
   * opens one for the other: each group holds one platform's lines, in the order they came.
   */
  platformOf?: (line: string) => string | undefined;
  /** false: no groups of its own, for output shown inside a group the caller holds open */
  group?: boolean;
}

export function openLiveLog(options: LiveLogOptions): LiveLog {
  let open = false;
  let current: string | undefined;
  const start = (platform: string | undefined) => {
    if (options.group !== false) issueCommand('group', {}, options.title(platform));
    beginForeignText();
    open = true;
    current = platform;
  };
  const stop = () => {
    if (!open) return;
    endForeignText();
    if (options.group !== false) issueCommand('endgroup', {}, '');
    open = false;
  };
  return {
    line(text) {
      const platform = options.platformOf?.(text);
      if (!open) start(platform);
      else if (platform !== undefined && platform !== current && options.group !== false) {
        stop();
        start(platform);
      }
      writeForeignText(text);
    },
    end: stop,
  };
}

/** What `runCommand` needs to show a long program's output live: its options, and `end` for after it ran. */
export interface LiveOutput {
  options: { onLine: (line: string) => void; tailLines: number };
  end(): void;
}

/**
 * Live output for any long child process (a scan, a clone, a push) in one group named `title`,
 * keeping the last `tailLines` lines of each stream for the error message:
 * `const live = liveOutput('Scanning'); try { await runCommand(cmd, args, live.options) } finally { live.end() }`.
 */
export function liveOutput(title: string, tailLines = 200): LiveOutput {
  const log = openLiveLog({ title: () => title });
  return { options: { onLine: (line) => log.line(line), tailLines }, end: () => log.end() };
}
