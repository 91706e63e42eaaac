import { spawn } from 'node:child_process';

/** How many trailing stderr lines an error carries: enough to see ffmpeg's reason, not its banner. */
const STDERR_TAIL_LINES = 8;

/** A command-line tool exited non-zero (or was killed); the message ends with its last stderr lines. */
export class ToolExitError extends Error {
  override readonly name = 'ToolExitError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ToolResult {
  /** Raw bytes: ffmpeg may write video or pixels to stdout. */
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a binary with an argument array (never a shell, so paths and URLs need no quoting).
 * Aborting the signal kills the child, so an emulator closing mid-render leaves no ffmpeg behind.
 */
export function runTool(
  binary: string,
  args: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      reject(new ToolExitError(`${binary} could not run: ${error.message}`, null, '', { cause: error }));
    });
    child.on('close', (code, signal) => {
      const err = Buffer.concat(stderr).toString('utf8');
      if (code === 0) {
        resolve({ stdout: Buffer.concat(stdout), stderr: err });
        return;
      }
      const tail = err.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
      const how = code === null ? `was killed (${signal ?? 'unknown signal'})` : `exited with code ${code}`;
      reject(new ToolExitError(`${binary} ${how}${tail ? `:\n${tail}` : ''}`, code, tail));
    });
  });
}
