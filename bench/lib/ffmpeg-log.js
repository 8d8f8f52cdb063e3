import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A bash wrapper to put in FFMPEG_PATH: it logs every ffmpeg invocation (start/end epoch seconds, exit code,
 * argv; newlines in an argument written as a backslash-n, tabs as spaces) to $NEMO_BENCH_FFLOG, keeps a copy of any -filter_complex_script file, and runs the real ffmpeg.
 * Costs ~1 ms per spawn (bash, no extra forks: $EPOCHREALTIME).
 */
export function writeFfmpegWrapper(dir) {
  const real = execFileSync('bash', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim();
  const path = join(dir, 'ffmpeg');
  writeFileSync(
    path,
    `#!/bin/bash
start=$EPOCHREALTIME
prev=""
n=0
for a in "$@"; do
  if [ "$prev" = "-filter_complex_script" ] || [ "$prev" = "-/filter_complex" ]; then
    n=$((n+1)); cp -- "$a" "$NEMO_BENCH_FFLOG.graph.$$.$n" 2>/dev/null
  fi
  prev="$a"
done
${real} "$@"
rc=$?
{ printf 'CALL\\t%s\\t%s\\t%s\\t%s' "$$" "$start" "$EPOCHREALTIME" "$rc"; for a in "$@"; do a="\${a//$'\\n'/\\\\n}"; printf '\\t%s' "\${a//$'\\t'/ }"; done; printf '\\n'; } >> "$NEMO_BENCH_FFLOG"
exit $rc
`,
  );
  chmodSync(path, 0o755);
  return path;
}

const PROBE_FLAGS = new Set([
  '-filters',
  '-encoders',
  '-decoders',
  '-version',
  '-buildconf',
  '-formats',
  '-codecs',
  '-h',
]);

/**
 * Reads the wrapper's log: each call with {pid, startS, endS, ms, rc, args, kind: 'probe'|'analysis'|'encode',
 * graphs: [text of copied filter scripts]}. An encode writes a real output file; analysis passes write to
 * `-f null` / /dev/null / pipe.
 */
export function readFfmpegLog(logPath) {
  if (!existsSync(logPath)) return [];
  const dir = join(logPath, '..');
  const base = logPath.split('/').at(-1);
  const files = readdirSync(dir);
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('CALL\t'))
    .map((l) => {
      const [, pid, start, end, rc, ...escaped] = l.split('\t');
      const args = escaped.map((a) => a.replaceAll('\\n', '\n'));
      const graphs = files
        .filter((f) => f.startsWith(`${base}.graph.${pid}.`))
        .sort()
        .map((f) => readFileSync(join(dir, f), 'utf8'));
      const startS = Number(start);
      const endS = Number(end);
      return {
        pid: Number(pid),
        startS,
        endS,
        ms: (endS - startS) * 1000,
        rc: Number(rc),
        args,
        kind: kindOf(args),
        graphs,
      };
    });
}

function kindOf(args) {
  if (args.some((a) => PROBE_FLAGS.has(a))) return 'probe';
  const out = args.at(-1);
  const nullOut = args.some((a, i) => a === '-f' && args[i + 1] === 'null');
  if (nullOut || out === '-' || out === '/dev/null' || out?.startsWith('pipe:') || !args.includes('-i'))
    return 'analysis';
  return 'encode';
}

const ENCODER_FLAGS = new Set([
  '-c:v',
  '-vcodec',
  '-preset',
  '-crf',
  '-pix_fmt',
  '-profile:v',
  '-level',
  '-tune',
  '-g',
  '-x264-params',
  '-c:a',
  '-acodec',
  '-b:a',
  '-ar',
  '-ac',
  '-movflags',
  '-threads',
  '-r',
  '-fps_mode',
  '-vsync',
]);

/** The encoder settings (flag, value pairs) of an encode call, to give the floor the same encoder work. */
export function encoderArgs(args) {
  const out = [];
  for (let i = 0; i < args.length - 1; i++) {
    if (ENCODER_FLAGS.has(args[i])) out.push(args[i], args[i + 1]);
  }
  return out;
}
