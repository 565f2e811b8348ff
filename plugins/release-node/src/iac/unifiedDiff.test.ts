import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hybrisColourValues, hybrisSwitchValues } from 'sandbox';
import { diffHunks, unifiedDiff } from './unifiedDiff';

/** The hunks `git diff` prints for the same two texts. */
function gitHunks(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kop-diff-'));
  try {
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    let out = '';
    try {
      execFileSync(
        'git',
        ['diff', '--no-index', '--no-color', '--no-ext-diff', 'a', 'b'],
        { cwd: dir, encoding: 'utf8' },
      );
    } catch (e) {
      // git diff --no-index exits 1 when the files differ.
      out = (e as { stdout: string }).stdout;
    }
    const at = out.indexOf('\n@@');
    return at >= 0 ? out.slice(at + 1) : '';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const green = hybrisColourValues('green', 'deploy-2025-12-23', 0);
const long = Array.from({ length: 40 }, (_, i) => `key${i}: ${i}\n`).join('');

const cases: Array<[string, string, string]> = [
  [
    'image tag and replicas of a colour',
    green,
    green
      .replace('tag: deploy-2025-12-23', 'tag: deploy-2026-01-08-3')
      .replace('replicaCount: 0', 'replicaCount: 3'),
  ],
  [
    'the three hybrisServiceName values (comment kept)',
    hybrisSwitchValues('blue'),
    hybrisSwitchValues('green'),
  ],
  [
    'two changes far apart',
    long,
    long.replace('key2: 2', 'key2: x').replace('key35: 35', 'key35: y'),
  ],
  [
    'two changes close together',
    long,
    long.replace('key10: 10', 'key10: x').replace('key16: 16', 'key16: y'),
  ],
  ['a line added at the end', long, `${long}extra: 1\n`],
  ['the last newline removed', long, long.slice(0, -1)],
  ['a line removed at the start', long, long.split('\n').slice(1).join('\n')],
  ['from nothing', '', 'a: 1\n'],
  [
    'a long Korean function context line',
    `${'설명: '.padEnd(60, '가')}\nx: 1\n`.replace(/^/, 'a'),
    `${'설명: '.padEnd(60, '가')}\nx: 2\n`.replace(/^/, 'a'),
  ],
];

describe('unifiedDiff', () => {
  it.each(cases)('prints what git diff prints: %s', (_name, before, after) => {
    expect(diffHunks(before, after)).toBe(gitHunks(before, after));
  });

  it('is empty when nothing changed', () => {
    expect(unifiedDiff('web/values.yaml', green, green)).toBe('');
  });

  it('carries the file headers git apply reads', () => {
    const diff = unifiedDiff(
      'hybris/values-green.yaml',
      green,
      green.replace('replicaCount: 0', 'replicaCount: 3'),
    );
    expect(diff).toBe(
      [
        'diff --git a/hybris/values-green.yaml b/hybris/values-green.yaml',
        '--- a/hybris/values-green.yaml',
        '+++ b/hybris/values-green.yaml',
        '@@ -7,7 +7,7 @@ image:',
        '   pullPolicy: IfNotPresent',
        ' ',
        ' # 9 replicas is "normal"; the idle colour runs 0.',
        '-replicaCount: 0',
        '+replicaCount: 3',
        ' ',
        ' colour: green',
        ' jgroups:',
        '',
      ].join('\n'),
    );
  });
});
