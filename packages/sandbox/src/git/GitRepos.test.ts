import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, GitRepos, type ImportCommit } from './GitRepos';

const author = { name: '김민준 Kim Minjun', email: 'kim.minjun@kop.example' };
const date = '2026-01-05T10:00:00+09:00';

/** Every ref of kop/demo, as git lists them. */
const refsOf = (repos: GitRepos) =>
  execFileSync(
    'git',
    ['--git-dir', repos.dir('kop/demo'), 'for-each-ref', '--format=%(refname)'],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n');

describe('GitRepos', () => {
  let root: string;
  let repos: GitRepos;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'kop-git-'));
    repos = new GitRepos(join(root, 'git'));
    await repos.create('kop/demo');
    await repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'Initial values',
      author,
      date,
      actions: [
        {
          action: 'create',
          filePath: 'hybris/values.yaml',
          content: '# live colour\nhybrisServiceName: blue\n',
        },
        { action: 'create', filePath: 'README.md', content: 'demo\n' },
      ],
    });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const switchToGreen = () =>
    repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'Switch to green',
      author,
      date,
      actions: [
        {
          action: 'update',
          filePath: 'hybris/values.yaml',
          content: '# live colour\nhybrisServiceName: green\n',
        },
      ],
    });

  it('keeps bare repositories under <root>/<group>/<name>.git and reads files at a ref', async () => {
    expect(repos.dir('kop/demo')).toBe(join(root, 'git', 'kop', 'demo.git'));
    expect(repos.projects()).toEqual(['kop/demo']);
    const head = await repos.resolveRef('kop/demo', 'main');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await repos.resolveRef('kop/demo', head!.slice(0, 8))).toBe(head);
    expect(await repos.resolveRef('kop/demo', 'nope')).toBeUndefined();
    expect(
      await repos.readFile('kop/demo', 'main', 'hybris/values.yaml'),
    ).toContain('hybrisServiceName: blue');
    expect(
      await repos.readFile('kop/demo', 'main', 'absent.yaml'),
    ).toBeUndefined();
    expect(
      await repos.readFile('kop/demo', 'nope', 'README.md'),
    ).toBeUndefined();
    const tree = await repos.listTree('kop/demo', 'main', { recursive: true });
    expect(tree.map(e => `${e.type} ${e.path}`)).toEqual([
      'blob README.md',
      'tree hybris',
      'blob hybris/values.yaml',
    ]);
  });

  it('answers reads at a fixed commit once, shares identical reads in flight, and never keeps a branch', async () => {
    const first = (await repos.resolveRef('kop/demo', 'main'))!;
    const read = () =>
      Promise.all([
        repos.readFile('kop/demo', first, 'hybris/values.yaml'),
        repos.blobId('kop/demo', first, 'hybris/values.yaml'),
        repos.lastCommitForPath('kop/demo', first, 'hybris/values.yaml'),
        repos.readFile('kop/demo', first, 'absent.yaml'),
      ]);
    const before = repos.usage.gitProcesses;
    const answers = await Promise.all(Array.from({ length: 6 }, read));
    expect(new Set(answers.map(a => JSON.stringify(a))).size).toBe(1);
    expect(answers[0][0]).toContain('hybrisServiceName: blue');
    expect(answers[0][1]).toMatch(/^[0-9a-f]{40}$/);
    expect(answers[0][2]).toBe(first);
    expect(answers[0][3]).toBeUndefined();
    const spawned = repos.usage.gitProcesses - before;
    // 24 reads at once: one shared check of the sha, then each of the 4 distinct reads once.
    expect(spawned).toBe(5);

    const warm = repos.usage.gitProcesses;
    expect(await read()).toEqual(answers[0]);
    expect(repos.usage.gitProcesses).toBe(warm);

    // A branch is read afresh every time: a new commit shows at once, the old commit stays as it was.
    await switchToGreen();
    expect(
      await repos.readFile('kop/demo', 'main', 'hybris/values.yaml'),
    ).toContain('green');
    expect(await repos.resolveRef('kop/demo', 'main')).not.toBe(first);
    expect(
      await repos.readFile('kop/demo', first, 'hybris/values.yaml'),
    ).toContain('blue');
    // A sha that names no commit is not kept as missing.
    expect(await repos.resolveRef('kop/demo', 'f'.repeat(40))).toBeUndefined();
    const again = repos.usage.gitProcesses;
    await repos.resolveRef('kop/demo', 'f'.repeat(40));
    expect(repos.usage.gitProcesses).toBe(again + 1);
  });

  it('reads a branch head from its ref file without starting git, and still finds a branch git packed', async () => {
    const head = (await repos.resolveRef('kop/demo', 'main'))!;
    await repos.readFile('kop/demo', 'main', 'hybris/values.yaml');
    const warm = repos.usage.gitProcesses;
    expect(
      await Promise.all([
        repos.readFile('kop/demo', 'main', 'hybris/values.yaml'),
        repos.resolveRef('kop/demo', 'main'),
        repos.branchHead('kop/demo', 'main'),
      ]),
    ).toEqual([expect.stringContaining('blue'), head, head]);
    expect(repos.usage.gitProcesses).toBe(warm);

    await repos.createBranch('kop/demo', 'release/2026.11.26', 'main');
    expect(await repos.resolveRef('kop/demo', 'release/2026.11.26')).toBe(head);
    // Once git packs its refs the files are gone: the lookup falls back to git and agrees.
    execFileSync('git', [
      '--git-dir',
      repos.dir('kop/demo'),
      'pack-refs',
      '--all',
      '--prune',
    ]);
    const packed = repos.usage.gitProcesses;
    expect(await repos.resolveRef('kop/demo', 'main')).toBe(head);
    expect(await repos.branchHead('kop/demo', 'release/2026.11.26')).toBe(head);
    expect(repos.usage.gitProcesses).toBe(packed + 2);
    // A commit after packing writes a loose ref again, and the newer head is read from it.
    const moved = await switchToGreen();
    expect(await repos.resolveRef('kop/demo', 'main')).toBe(moved.sha);
    expect(
      await repos.readFile('kop/demo', 'main', 'hybris/values.yaml'),
    ).toContain('green');
  });

  it('keeps at most the reads its limits allow, least recently used out first', async () => {
    const small = new GitRepos(join(root, 'git'), { entries: 3 });
    const sha = (await small.resolveRef('kop/demo', 'main'))!;
    await small.readFile('kop/demo', sha, 'README.md');
    await small.readFile('kop/demo', sha, 'hybris/values.yaml');
    await small.blobId('kop/demo', sha, 'README.md');
    await small.blobId('kop/demo', sha, 'hybris/values.yaml');
    expect(small.usage.cachedReads).toBe(3);
    const kept = small.usage.gitProcesses;
    await small.blobId('kop/demo', sha, 'hybris/values.yaml');
    expect(small.usage.gitProcesses).toBe(kept);
    // The first file's content was pushed out: reading it runs git again.
    expect(await small.readFile('kop/demo', sha, 'README.md')).toBe('demo\n');
    expect(small.usage.gitProcesses).toBeGreaterThan(kept);

    const tiny = new GitRepos(join(root, 'git'), { bytes: 10 });
    expect(await tiny.readFile('kop/demo', sha, 'README.md')).toBe('demo\n');
    expect(tiny.usage.cachedReads).toBe(0);
  });

  it('commits several file actions at once and refuses actions that do not fit the tree', async () => {
    const commit = await repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'Switch to green\n\nrelease 42',
      author,
      date: '2026-01-06T10:00:00+09:00',
      actions: [
        {
          action: 'update',
          filePath: 'hybris/values.yaml',
          content: '# live colour\nhybrisServiceName: green\n',
        },
        { action: 'delete', filePath: 'README.md' },
        { action: 'create', filePath: 'web/values.yaml', content: 'a: 1\n' },
      ],
    });
    expect(commit.title).toBe('Switch to green');
    expect(commit.message).toBe('Switch to green\n\nrelease 42');
    expect(commit.authoredDate).toBe('2026-01-06T10:00:00+09:00');
    expect(commit.parents).toHaveLength(1);
    const shown = await repos.showCommit('kop/demo', commit.sha);
    expect(shown!.changes.map(c => `${c.status} ${c.path}`).sort()).toEqual([
      'added web/values.yaml',
      'deleted README.md',
      'modified hybris/values.yaml',
    ]);
    await expect(
      repos.commitFiles('kop/demo', {
        branch: 'main',
        message: 'x',
        author,
        actions: [
          { action: 'create', filePath: 'web/values.yaml', content: '' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'exists' });
    await expect(
      repos.commitFiles('kop/demo', {
        branch: 'main',
        message: 'x',
        author,
        actions: [{ action: 'update', filePath: 'README.md', content: '' }],
      }),
    ).rejects.toMatchObject({ code: 'missing' });
    expect(await repos.resolveRef('kop/demo', 'main')).toBe(commit.sha);
  });

  it('fails with a race instead of overwriting when the branch moved (expected head or a concurrent commit)', async () => {
    const before = await repos.resolveRef('kop/demo', 'main');
    await expect(
      repos.commitFiles('kop/demo', {
        branch: 'main',
        message: 'stale',
        author,
        expectedHeadSha: '1'.repeat(40),
        actions: [{ action: 'update', filePath: 'README.md', content: 'x\n' }],
      }),
    ).rejects.toMatchObject({ code: 'race' });
    expect(await repos.resolveRef('kop/demo', 'main')).toBe(before);

    const results = await Promise.allSettled(
      ['one', 'two', 'three', 'four'].map(n =>
        repos.commitFiles('kop/demo', {
          branch: 'main',
          message: n,
          author,
          actions: [
            { action: 'update', filePath: 'README.md', content: `${n}\n` },
          ],
        }),
      ),
    );
    const won = results.filter(r => r.status === 'fulfilled');
    const lost = results.filter(r => r.status === 'rejected');
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of lost) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(GitError);
      expect((r as PromiseRejectedResult).reason.code).toBe('race');
    }
    // Every commit that won sits on the branch: nothing was overwritten.
    const log = await repos.log('kop/demo', before, 'main');
    expect(log).toHaveLength(won.length);
    // The losers' scratch refs are gone with them.
    expect(refsOf(repos)).toEqual(['refs/heads/main']);
  });

  it('writes a commit of many files in a fixed number of git processes and leaves no scratch ref behind', async () => {
    const head = await repos.resolveRef('kop/demo', 'main');
    const before = repos.usage.gitProcesses;
    const names = Array.from({ length: 12 }, (_, i) => `apps/앱 ${i}.yaml`);
    const commit = await repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'Many files',
      author,
      actions: names.map(filePath => ({
        action: 'create' as const,
        filePath,
        content: `${filePath}\n`,
      })),
    });
    // fast-import, the ref transaction and the answer's read: the head's file list is known from
    // the commit that made it.
    expect(repos.usage.gitProcesses - before).toBe(3);
    for (const name of names) {
      expect(await repos.readFile('kop/demo', commit.sha, name)).toBe(
        `${name}\n`,
      );
    }
    // A cold cache reads the head's file list once more.
    const cold = new GitRepos(join(root, 'git'));
    await cold.commitFiles('kop/demo', {
      branch: 'main',
      message: 'Switch to green',
      author,
      actions: [
        { action: 'update', filePath: 'hybris/values.yaml', content: 'g\n' },
      ],
    });
    expect(cold.usage.gitProcesses).toBe(4);
    await expect(
      repos.commitFiles('kop/demo', {
        branch: 'main',
        message: 'stale',
        author,
        expectedHeadSha: head!,
        actions: [{ action: 'update', filePath: 'README.md', content: 'x\n' }],
      }),
    ).rejects.toMatchObject({ code: 'race' });
    expect(refsOf(repos)).toEqual(['refs/heads/main']);
  });

  it('refuses an update whose last known commit of the file is stale', async () => {
    const first = await repos.lastCommitForPath(
      'kop/demo',
      'main',
      'README.md',
    );
    await repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'someone else',
      author,
      actions: [{ action: 'update', filePath: 'README.md', content: 'b\n' }],
    });
    await expect(
      repos.commitFiles('kop/demo', {
        branch: 'main',
        message: 'mine',
        author,
        actions: [
          {
            action: 'update',
            filePath: 'README.md',
            content: 'c\n',
            lastCommitId: first,
          },
        ],
      }),
    ).rejects.toMatchObject({ code: 'changed' });
  });

  it('creates branches, merges with a real merge commit and lists the commits between two refs with their paths', async () => {
    const base = await repos.createBranch('kop/demo', 'feature/footer', 'main');
    await expect(
      repos.createBranch('kop/demo', 'feature/footer', 'main'),
    ).rejects.toMatchObject({ code: 'exists' });
    await repos.commitFiles('kop/demo', {
      branch: 'feature/footer',
      message: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
      author,
      actions: [
        {
          action: 'create',
          filePath: 'core/resources/core-items.xml',
          content: '<items/>\n',
        },
      ],
    });
    await repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'meanwhile on main',
      author,
      actions: [{ action: 'update', filePath: 'README.md', content: 'm\n' }],
    });
    expect(await repos.canMerge('kop/demo', 'feature/footer', 'main')).toBe(
      true,
    );
    const merge = await repos.merge(
      'kop/demo',
      'feature/footer',
      'main',
      "Merge branch 'feature/footer' into 'main'",
      { author },
    );
    expect(merge.parents).toHaveLength(2);
    expect(await repos.readFile('kop/demo', 'main', 'README.md')).toBe('m\n');
    expect(
      await repos.readFile('kop/demo', 'main', 'core/resources/core-items.xml'),
    ).toBe('<items/>\n');

    const log = await repos.log('kop/demo', base, 'main');
    expect(log.map(c => c.title)).toEqual([
      "Merge branch 'feature/footer' into 'main'",
      'meanwhile on main',
      '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
    ]);
    expect(log[0].changes.map(c => c.path)).toEqual([
      'core/resources/core-items.xml',
    ]);
    expect(await repos.isAncestor('kop/demo', base, 'main')).toBe(true);
    const diffs = await repos.diff('kop/demo', base, 'main');
    expect(diffs.map(d => [d.newPath, d.newFile])).toEqual([
      ['README.md', false],
      ['core/resources/core-items.xml', true],
    ]);
    expect(diffs[1].diff).toContain('+<items/>');
  });

  it('refuses a merge that conflicts and leaves the target as it was', async () => {
    await repos.createBranch('kop/demo', 'a', 'main');
    await repos.commitFiles('kop/demo', {
      branch: 'a',
      message: 'a',
      author,
      actions: [{ action: 'update', filePath: 'README.md', content: 'a\n' }],
    });
    const main = await repos.commitFiles('kop/demo', {
      branch: 'main',
      message: 'main',
      author,
      actions: [{ action: 'update', filePath: 'README.md', content: 'main\n' }],
    });
    expect(await repos.canMerge('kop/demo', 'a', 'main')).toBe(false);
    await expect(
      repos.merge('kop/demo', 'a', 'main', 'Merge a'),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await repos.resolveRef('kop/demo', 'main')).toBe(main.sha);
  });

  it('refuses project paths, refs and file paths that could leave the repository or pass options', async () => {
    expect(() => repos.dir('../etc')).toThrow(GitError);
    expect(() => repos.dir('kop/../../x')).toThrow('invalid project path');
    expect(() => repos.dir('kop')).toThrow('invalid project path');
    await expect(
      repos.resolveRef('kop/demo', '--output=/tmp/x'),
    ).rejects.toThrow('invalid reference name');
    await expect(repos.resolveRef('kop/demo', 'main..HEAD')).rejects.toThrow(
      'invalid reference name',
    );
    await expect(
      repos.readFile('kop/demo', 'main', '../../../etc/passwd'),
    ).rejects.toThrow('invalid file path');
    await expect(
      repos.commitFiles('kop/demo', {
        branch: 'main',
        message: 'x',
        author,
        actions: [{ action: 'create', filePath: '.git/config', content: '' }],
      }),
    ).rejects.toThrow('invalid file path');
    await expect(repos.createBranch('kop/demo', '-f', 'main')).rejects.toThrow(
      'invalid reference name',
    );
  });

  it('writes a whole history in one fast-import, with the same shas every time', async () => {
    const history: ImportCommit[] = [
      {
        mark: 1,
        branch: 'master',
        message: 'init',
        author,
        date,
        files: { 'a.txt': 'a\n' },
      },
      {
        mark: 2,
        branch: 'feature/x',
        from: 1,
        message: '[CMS] KS 템플릿 업데이트',
        author,
        date: '2026-01-05T11:00:00+09:00',
        files: { 'b.txt': 'b\n' },
      },
      {
        mark: 3,
        branch: 'master',
        from: 1,
        merge: 2,
        message: "Merge branch 'feature/x' into 'master'",
        author,
        date: '2026-01-05T12:00:00+09:00',
        files: { 'b.txt': 'b\n' },
      },
    ];
    await repos.create('kop/one', { defaultBranch: 'master' });
    await repos.create('kop/two', { defaultBranch: 'master' });
    const one = await repos.importHistory('kop/one', history);
    const two = await repos.importHistory('kop/two', history);
    expect([...one.values()]).toEqual([...two.values()]);
    expect(await repos.resolveRef('kop/one', 'master')).toBe(one.get(3));
    expect((await repos.showCommit('kop/one', 'master'))!.parents).toEqual([
      one.get(1),
      one.get(2),
    ]);
    expect(await repos.defaultBranch('kop/one')).toBe('master');
  });
});
