import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs } from './clock.js';

const GNU_TIME = '/usr/bin/time';
let timeSeq = 0;

/**
 * Runs `cmd args` under GNU time (`/usr/bin/time -v`) and resolves with the exit code, the wall time
 * measured here (spawn → exit), the peak RSS of the measured process in MiB, its CPU time (user + sys, with the
 * children it waited for, e.g. nemo's ffmpeg runs) in ms, and its output.
 * `onLine(line, atMs)` sees each stdout line as it arrives (epoch ms).
 */
export function runMeasured(cmd, args, { env, cwd, tmpDir, onLine, timeoutMs = 600_000 } = {}) {
  const timeFile = join(tmpDir, `time-${process.pid}-${++timeSeq}.txt`);
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(GNU_TIME, ['-v', '-o', timeFile, cmd, ...args], {
      env: env ?? process.env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collectLines(child.stdout, onLine);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      if (stderr.length < 1_000_000) stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = nowMs() - started;
      let report = '';
      try {
        report = readFileSync(timeFile, 'utf8');
        rmSync(timeFile, { force: true });
      } catch {}
      const m = report.match(/Maximum resident set size \(kbytes\): (\d+)/);
      const exit = report.match(/Exit status: (\d+)/);
      const user = report.match(/User time \(seconds\): ([\d.]+)/);
      const sys = report.match(/System time \(seconds\): ([\d.]+)/);
      resolve({
        code: exit ? Number(exit[1]) : code,
        signal,
        wallMs,
        peakRssMiB: m ? Number(m[1]) / 1024 : null,
        cpuMs: user && sys ? (Number(user[1]) + Number(sys[1])) * 1000 : null,
        stdout: out.text(),
        stderr,
      });
    });
  });
}

/** Spawns a process directly (no wrapper, so `child.pid` is the measured process). */
export function spawnDirect(cmd, args, { env, cwd, onLine } = {}) {
  const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collectLines(child.stdout, onLine);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    if (stderr.length < 1_000_000) stderr += d;
  });
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out.text(), stderr }));
  });
  return { child, done };
}

/** Runs a command to completion and returns its output; throws with stderr when it fails. */
export function run(cmd, args, { env, cwd } = {}) {
  const { done } = spawnDirect(cmd, args, { env, cwd });
  return done.then((r) => {
    if (r.code !== 0) {
      throw new Error(
        `${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`,
      );
    }
    return r;
  });
}

/** Reads VmRSS and VmHWM (MiB) of a live process from /proc, or null when it is gone. */
export function readMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = status.match(/VmRSS:\s+(\d+) kB/);
    const hwm = status.match(/VmHWM:\s+(\d+) kB/);
    return { rssMiB: rss ? Number(rss[1]) / 1024 : null, hwmMiB: hwm ? Number(hwm[1]) / 1024 : null };
  } catch {
    return null;
  }
}

function collectLines(stream, onLine) {
  let text = '';
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const at = nowMs();
    if (text.length < 5_000_000) text += chunk;
    if (!onLine) return;
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      onLine(pending.slice(0, nl), at);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  });
  return { text: () => text };
}
