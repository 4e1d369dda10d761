// The exec seam with a real child process: lines handed on while the program still runs, line
// ends of every kind, and the tail kept for errors when the output is streamed.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCommand } from '#shared/exec.js';

describe('runCommand', () => {
  it('hands each line on before the program ends', async () => {
    // The program prints a line, then waits for the test to answer over a socket before it
    // prints the rest and exits. The test answers only from inside onLine, so the run can only
    // finish if the first line arrived while the program was still running.
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const script = `
      const s = require('node:net').connect(${port}, '127.0.0.1', () => {
        process.stdout.write('first line\\n');
        s.once('data', () => { process.stderr.write('second line\\n'); process.stdout.write('last'); s.end(); });
      });`;
    const seen: Array<[string, string, boolean]> = [];
    try {
      const result = await runCommand(process.execPath, ['-e', script], {
        onLine: (line, stream) => {
          // whether the program was still connected (running) when the line arrived
          seen.push([line, stream, sockets.length === 1 && !sockets[0]?.readableEnded]);
          if (line === 'first line') sockets[0]?.write('go');
        },
      });
      expect(seen).toEqual([
        ['first line', 'stdout', true],
        ['second line', 'stderr', true],
        ['last', 'stdout', false],
      ]);
      expect(result).toEqual({ code: 0, stdout: 'first line\nlast', stderr: 'second line\n' });
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it.each([
    ['LF', 'a\nb\n', ['a', 'b']],
    ['CRLF', 'a\r\nb\r\n', ['a', 'b']],
    ['CR redraws', '10%\r50%\r100%\n', ['10%', '50%', '100%']],
    ['no final newline', 'a\nb', ['a', 'b']],
    ['empty lines kept', 'a\n\nb\n', ['a', '', 'b']],
  ])('splits %s output into lines', async (_name, text, lines) => {
    const seen: string[] = [];
    await runCommand(process.execPath, ['-e', `process.stdout.write(${JSON.stringify(text)})`], {
      onLine: (line) => seen.push(line),
    });
    expect(seen).toEqual(lines);
  });

  it('keeps a CRLF split across two writes as one line end', async () => {
    const seen: string[] = [];
    const script = "process.stdout.write('a\\r'); setImmediate(() => process.stdout.write('\\nb\\n'));";
    await runCommand(process.execPath, ['-e', script], { onLine: (line) => seen.push(line) });
    expect(seen).toEqual(['a', 'b']);
  });

  it('keeps only the last lines with tailLines, and names the last meaningful one on failure', async () => {
    const script = "for (let i = 1; i <= 500; i++) console.error('line ' + i); process.exitCode = 3;";
    const seen: string[] = [];
    const result = await runCommand(process.execPath, ['-e', script], {
      onLine: (line) => seen.push(line),
      tailLines: 3,
      allowFailure: true,
    });
    expect(seen).toHaveLength(500);
    expect(result).toEqual({ code: 3, stdout: '', stderr: 'line 498\nline 499\nline 500' });
    await expect(
      runCommand(process.execPath, ['-e', script], { onLine: () => undefined, tailLines: 3, description: 'tool' }),
    ).rejects.toThrow('running tool: exit code 3: line 500');
  });
});
