import { describe, expect, it } from 'vitest';
import { compileDraft, getCapabilities } from '../../src/engine/index.js';
import type { Draft } from '../../src/timeline/index.js';

const clip = (src: string, inMs: number, d: number, extra: Record<string, unknown> = {}) => ({
  d,
  m: { src, in: inMs, hasVideo: true, hasAudio: true, ...extra },
});

describe('compileDraft (pure: draft → one graph)', () => {
  it('cuts with trim/atrim + concat (never select), 10 ms fades at each cut, one shared input read forward', async () => {
    const caps = await getCapabilities();
    const draft: Draft = {
      t: [{ tt: 0, sg: [clip('/a.mp4', 0, 1000), clip('/a.mp4', 2000, 1000), clip('/a.mp4', 5000, 500)] }],
      m: { width: 320, height: 180, fps: 30 },
    };
    const c = compileDraft(draft, { caps, workDir: '/tmp/w' });
    expect(c.inputs).toEqual(['-i', '/a.mp4']);
    expect(c.graph).not.toMatch(/select/);
    expect(c.graph).toMatch(/split=3/);
    expect(c.graph.match(/\btrim=start=/g)).toHaveLength(3);
    expect(c.graph.match(/atrim=start=/g)).toHaveLength(3);
    expect(c.graph.match(/afade=t=in:d=0\.01/g)).toHaveLength(3);
    expect(c.graph).toMatch(/concat=n=3:v=1:a=1/);
    expect(c.graph).toMatch(/aresample=48000/);
    expect(c.durationMs).toBe(2500);
    expect(c.outputArgs).toEqual(
      expect.arrayContaining(['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '+faststart']),
    );
  });

  it('gives silent clips anullsrc, chains atempo outside 0.5–2, and maps quality to crf', async () => {
    const caps = await getCapabilities();
    const draft: Draft = {
      t: [
        { tt: 0, sg: [clip('/a.mp4', 0, 1000, { speed: 4 }), clip('/b.mp4', 0, 1000, { hasAudio: false })] },
      ],
      m: { width: 320, height: 180, fps: 30 },
    };
    const c = compileDraft(draft, { caps, workDir: '/tmp/w', quality: 'low' });
    expect(c.graph).toMatch(/atempo=2,atempo=2/);
    expect(c.graph).toMatch(/anullsrc=r=48000:cl=stereo/);
    expect(c.inputs).toEqual(['-i', '/a.mp4', '-i', '/b.mp4']);
    expect(c.outputArgs).toEqual(expect.arrayContaining(['-crf', '26']));
  });

  it('enhance reaches 1080p in steps of at most 2× and never upscales 1080p sources', async () => {
    const caps = await getCapabilities();
    const draft = (width: number, height: number): Draft => ({
      t: [{ tt: 0, sg: [clip('/a.mp4', 0, 1000)] }],
      m: { width, height, fps: 30, fx: { enhance: {} } },
    });
    const small = compileDraft(draft(320, 180), { caps, workDir: '/tmp/w' }).graph;
    expect(small.match(/scale=\d+:\d+:flags=lanczos/g)).toEqual([
      'scale=640:360:flags=lanczos',
      'scale=1280:720:flags=lanczos',
      'scale=1920:1080:flags=lanczos',
    ]);
    const hd = compileDraft(draft(1920, 1080), { caps, workDir: '/tmp/w' }).graph;
    expect(hd).not.toMatch(/flags=lanczos/);
    expect(hd).toMatch(/hqdn3d.*unsharp/);
  });
});
