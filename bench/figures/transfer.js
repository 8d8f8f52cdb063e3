import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bigMp4 } from '../lib/fixtures.js';
import { cliHasOption, nemoEnv } from '../lib/nemo-env.js';
import { cliHasCommand, nemoArgv } from '../lib/parts.js';
import { runMeasured } from '../lib/proc.js';
import { fmt, pendingRow } from '../lib/report.js';
import * as http from '../lib/server.js';
import { ratio, summarize } from '../lib/stats.js';

const MiB = 2 ** 20;
const RATE_BUDGET = '≥ 1.0× curl (aim 1.5×)';
const RSS_BUDGET = '≤ 100 MiB';

/**
 * #1 upload and #2 download of a large real mp4 through `nemo serve` on loopback: throughput and the nemo
 * process's peak RSS (GNU time), against curl with the same token/session/URL, runs alternating curl and nemo.
 */
export async function transfer(ctx) {
  const bytesWanted = ctx.quick ? 20_000_000 : 500_000_000;
  const runs = ctx.quick ? 1 : 5;
  const label = `${Math.round(bytesWanted / 1e6)} MB`;
  const rowsFor = (n, what, reason) => [
    pendingRow(`${n}`, `${what} ${label}: throughput`, RATE_BUDGET, reason),
    pendingRow(`${n} RSS`, `${what} ${label}: nemo peak RSS`, RSS_BUDGET, reason),
  ];
  const started = await http.startBenchServer({
    dataDir: join(ctx.tmpDir, 'server-data'),
    maxUploadBytes: 600 * MiB,
  });
  if (started.missing)
    return [...rowsFor(1, 'upload', started.missing), ...rowsFor(2, 'download', started.missing)];
  const server = started.server;
  try {
    ctx.log(`  fixture: ${label} mp4…`);
    const fixture = await bigMp4(ctx.fixturesDir, bytesWanted);
    await warm(fixture.path);
    const up = cliHasCommand('upload')
      ? await measureUpload(ctx, started, fixture, runs, label)
      : rowsFor(1, 'upload', 'the CLI has no `upload` command yet (dist/cli/commands/upload.js)');
    const down = await measureDownload(ctx, started, fixture, runs, label).catch((err) =>
      rowsFor(2, 'download', `could not register a ${label} render: ${err.message}`),
    );
    return [...up, ...down];
  } finally {
    await server.close();
  }
}

async function measureUpload(ctx, { server, log }, fixture, runs, label) {
  const base = server.url;
  const served = { curl: [], nemo: [] };
  const withSession = cliHasOption('upload', '--session');
  const curl = [];
  const nemo = [];
  const notes = [];
  for (let i = 0; i < runs; i++) {
    const s = await http.tokenAndSession(base);
    let mark = log.length;
    const c = await runMeasured(
      'curl',
      [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        `Authorization: Bearer ${s.token}`,
        '-F',
        `files=@${fixture.path}`,
        http.uploadUrl(base, s.sessionId),
      ],
      { tmpDir: ctx.tmpDir },
    );
    if (c.code !== 0 || c.stdout.trim() !== '200')
      throw new Error(`curl upload failed: HTTP ${c.stdout} ${c.stderr}`);
    curl.push(c);
    served.curl.push(servedMs(log, mark, UPLOAD_PATH));

    const s2 = await http.tokenAndSession(base);
    mark = log.length;
    const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: base, NEMO_TOKEN: s2.token });
    const [cmd, args] = nemoArgv(
      'upload',
      fixture.path,
      '--json',
      ...(withSession ? ['--session', s2.sessionId] : []),
    );
    const n = await runMeasured(cmd, args, { env, tmpDir: ctx.tmpDir });
    if (n.code !== 0) throw new Error(`nemo upload exited ${n.code}: ${n.stderr.slice(-400)}`);
    nemo.push(n);
    served.nemo.push(servedMs(log, mark, UPLOAD_PATH));
    ctx.log(
      `  upload run ${i + 1}: curl ${(c.wallMs / 1000).toFixed(2)} s, nemo ${(n.wallMs / 1000).toFixed(2)} s`,
    );
  }
  notes.push(
    `wall time of the whole process (nemo: node start-up, CLI load${withSession ? '' : ', its own token + session requests'} and the upload; the server's storing + ffprobe of the file count on both sides)`,
  );
  notes.push(
    `nemo: \`nemo upload <file> --json\` with NEMO_TOKEN${withSession ? ' and --session' : ''}; curl: \`curl -F files=@<file>\``,
  );
  notes.push(servedNote(served));
  return rows(1, `upload ${label}`, fixture.bytes, curl, nemo, 'curl -F', notes);
}

async function measureDownload(ctx, { server, log }, fixture, runs, label) {
  const served = { curl: [], nemo: [] };
  const base = server.url;
  const render = await largeRender(server, fixture);
  const canExport = cliHasCommand('export') && cliHasOption('export', '--resume');
  if (!canExport) {
    return [
      pendingRow(
        '2',
        `download ${label}: throughput`,
        RATE_BUDGET,
        'the CLI has no `export --resume <id>` yet',
      ),
      pendingRow(
        '2 RSS',
        `download ${label}: nemo peak RSS`,
        RSS_BUDGET,
        'the CLI has no `export --resume <id>` yet',
      ),
    ];
  }
  const out = join(ctx.tmpDir, 'download-out.mp4');
  const curl = [];
  const nemo = [];
  for (let i = 0; i < runs; i++) {
    rmSync(out, { force: true });
    let mark = log.length;
    const c = await runMeasured(
      'curl',
      ['-sS', '-f', '-o', out, '-H', `Authorization: Bearer ${render.token}`, render.url],
      { tmpDir: ctx.tmpDir },
    );
    if (c.code !== 0 || statSync(out).size !== fixture.bytes)
      throw new Error(`curl download failed: ${c.stderr}`);
    curl.push(c);
    served.curl.push(servedMs(log, mark, DOWNLOAD_PATH));
    rmSync(out, { force: true });
    mark = log.length;
    const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: base, NEMO_TOKEN: render.token });
    const [cmd, args] = nemoArgv('export', '--resume', render.id, '-o', out, '--force', '--json');
    const n = await runMeasured(cmd, args, { env, tmpDir: ctx.tmpDir });
    if (n.code !== 0) throw new Error(`nemo export --resume exited ${n.code}: ${n.stderr.slice(-400)}`);
    if (!existsSync(out) || statSync(out).size !== fixture.bytes)
      throw new Error('nemo download wrote a wrong-sized file');
    nemo.push(n);
    served.nemo.push(servedMs(log, mark, DOWNLOAD_PATH));
    ctx.log(
      `  download run ${i + 1}: curl ${(c.wallMs / 1000).toFixed(2)} s, nemo ${(n.wallMs / 1000).toFixed(2)} s`,
    );
  }
  rmSync(out, { force: true });
  const notes = [
    `the render: ${render.how}`,
    'wall time of the whole process (nemo: node start-up, CLI load, one render poll, then the download to <out>.part + rename); curl: `curl -o` of the same URL',
  ];
  notes.push(servedNote(served));
  return rows(2, `download ${label}`, fixture.bytes, curl, nemo, 'curl -o', notes);
}

/** A completed render whose output is the large fixture, registered with the server's `registerRender`. */
async function largeRender(server, fixture) {
  if (typeof server.registerRender !== 'function')
    throw new Error('the server has no registerRender (NEEDS.md item 1)');
  const s = await http.tokenAndSession(server.url);
  const r = await server.registerRender(fixture.path, { sessionId: s.sessionId });
  return {
    id: r.id,
    url: r.url,
    token: s.token,
    how: `server.registerRender(<the ${fixture.bytes}-byte fixture>)`,
  };
}

function rows(n, what, bytes, curl, nemo, baseLabel, notes) {
  const mbps = (r) => bytes / 1e6 / (r.wallMs / 1000);
  const rate = summarize(nemo.map(mbps));
  const baseRate = summarize(curl.map(mbps));
  const rss = summarize(nemo.map((r) => r.peakRssMiB));
  const baseRss = summarize(curl.map((r) => r.peakRssMiB));
  const r = ratio(rate.median, baseRate.median);
  return [
    {
      id: `${n}`,
      what: `${what}: throughput`,
      unit: 'MB/s',
      nemo: rate,
      baseline: { label: baseLabel, ...baseRate },
      ratio: r,
      budget: RATE_BUDGET,
      pass: r >= 1.0,
      status: 'measured',
      notes,
    },
    {
      id: `${n} RSS`,
      what: `${what}: nemo peak RSS`,
      unit: 'MiB',
      nemo: rss,
      baseline: { label: baseLabel, ...baseRss },
      ratio: null,
      budget: RSS_BUDGET,
      pass: rss.max <= 100,
      status: 'measured',
      notes: ['GNU time "Maximum resident set size" of the process; judged on the worst run'],
    },
  ];
}

const UPLOAD_PATH = /^\/api\/upload-video\//;
const DOWNLOAD_PATH = /^\/(renders\/|api\/render\/proxy\/[^/]+\/download)/;

/** How long the server spent on the last matching request after log[from] (its access line: arrival → closed). */
function servedMs(log, from, pathRe) {
  return (
    http
      .accessLog(log.slice(from))
      .filter((r) => pathRe.test(r.path))
      .at(-1)?.ms ?? null
  );
}

function servedNote(served) {
  const med = (xs) => summarize(xs.filter((x) => x != null))?.median;
  return `the transfer request alone, as the server saw it (arrival → response closed), median: nemo ${fmt(med(served.nemo))} ms, curl ${fmt(med(served.curl))} ms — the rest of nemo's wall time is its start-up and setup`;
}

function warm(path) {
  return new Promise((resolve, reject) => {
    createReadStream(path)
      .on('data', () => {})
      .on('end', resolve)
      .on('error', reject);
  });
}
