import { describe, expect, it } from 'vitest';
import { guiCommands, translateGui } from '../../src/cli/gui-translate.js';
import { routeIntent, splitPaths } from '../../src/cli/intents.js';

describe('routeIntent', () => {
  it.each([
    ['export', 'export'],
    ['Export it', 'export'],
    ['导出', 'export'],
    ['download', 'export'],
    ['send me the video', 'export'],
    ['credits', 'credits'],
    ['积分', 'credits'],
    ['balance?', 'credits'],
    ['余额', 'credits'],
    ['status', 'state'],
    ['状态', 'state'],
    ['show tracks', 'state'],
    ['quit', 'quit'],
  ])('%s → %s', (line, kind) => {
    expect(routeIntent(line).kind).toBe(kind);
  });

  it('routes uploads in English and Chinese, with quoted paths', () => {
    expect(routeIntent('upload a.mp4 "my clip.mov"')).toEqual({
      kind: 'upload',
      paths: ['a.mp4', 'my clip.mov'],
    });
    expect(routeIntent('上传 视频.mp4')).toEqual({ kind: 'upload', paths: ['视频.mp4'] });
    expect(routeIntent('上传：b.mp4')).toEqual({ kind: 'upload', paths: ['b.mp4'] });
  });

  it('sends everything else to the agent', () => {
    expect(routeIntent('export the intro as a gif with a title')).toEqual({
      kind: 'chat',
      text: 'export the intro as a gif with a title',
    });
    expect(routeIntent('加一个标题')).toEqual({ kind: 'chat', text: '加一个标题' });
    expect(routeIntent('what is the status of my render and why is it slow')).toMatchObject({ kind: 'chat' });
  });

  it('splits paths', () => {
    expect(splitPaths(`a.mp4 'b c.mp4' "d e.mp4"`)).toEqual(['a.mp4', 'b c.mp4', 'd e.mp4']);
  });
});

describe('GUI translation', () => {
  it('appends the matching nemo command', () => {
    expect(translateGui('Done! Click Export to download your video.')).toBe(
      'Done! Click Export to download your video.\n→ run `nemo export`',
    );
    expect(translateGui('完成了，点击导出即可下载')).toContain('→ run `nemo export`');
    expect(guiCommands('You can preview in timeline, or drag more clips in.')).toEqual([
      'nemo state',
      'nemo upload <file>',
    ]);
    expect(guiCommands('Open the editor to see it')).toEqual(['nemo link']);
  });

  it('leaves other text alone', () => {
    expect(translateGui('I trimmed 3 silences.')).toBe('I trimmed 3 silences.');
  });
});
