import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return 'not found';
  }
}

/** CPU, cores, RAM and tool versions of this machine, for the report. */
export function machineInfo() {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    ffmpeg: firstLine('ffmpeg', ['-hide_banner', '-version']),
    curl: firstLine('curl', ['--version']),
    kernel: firstLine('uname', ['-sr']),
    commit: firstLine('git', ['rev-parse', '--short', 'HEAD']),
  };
}
