/**
 * The CLI's connection to the outside world, injected (gh's IOStreams): the streams, the environment and
 * the working directory. bin/nemo.js passes the process's own (`processIO`); tests run commands in
 * process with captured streams, so a CLI behaviour costs no process spawn.
 */
export interface IOStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processIO(): IOStreams {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
