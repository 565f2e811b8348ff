import { ConfigReader } from '@backstage/config';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments, type Document } from 'yaml';
import type { GitlabClient } from '../gitlab/GitlabClient';
import { EditConflictError, type YamlScalar } from '../gitlab/yamlEdit';
import { readReleaseLayout } from '../layout';
import { gitBlobId } from './gitBlob';
import { checkIacValue, iacTargets, type IacKeyKind } from './iacTargets';
import { planIacEdit, type IacChange } from './planIacEdit';
import { spliceYamlValues } from './spliceYamlValues';

// Fixtures are stored as .txt so that Prettier and editors leave their bytes alone.
const FIXTURES = join(__dirname, '__fixtures__');
const fixture = (name: string) =>
  readFileSync(join(FIXTURES, `${name}.yaml.txt`), 'utf8');
const names = readdirSync(FIXTURES)
  .filter(f => f.endsWith('.yaml.txt'))
  .map(f => f.slice(0, -'.yaml.txt'.length));
const corpus = names.filter(name => !name.startsWith('refuse-'));

const layout = readReleaseLayout(
  new ConfigReader(
    parse(
      readFileSync(resolve(__dirname, '../../../../app-config.yaml'), 'utf8'),
    ),
  ),
);
const colours = Object.keys(layout.apps.hybris.colours);
/** The keys the portal edits, as the layout in app-config.yaml names them, with what they mean. */
const layoutKeys = new Map<string, IacKeyKind>();
for (const target of iacTargets(layout).values()) {
  target.keys.forEach((kind, key) => {
    if (kind !== 'editable' && !layoutKeys.has(key)) layoutKeys.set(key, kind);
  });
}
const blue = layout.apps.hybris.colours.blue;
const hybrisSwitch = layout.apps.hybris.switch;

/** Image tags a form may send, several of which a plain YAML scalar would read as another type. */
const TAGS = [
  'deploy-2026-01-08',
  '2026.01',
  '0755',
  '2026-01-08',
  'yes',
  '1e3',
  '12',
];

type Js = unknown[];
const VIEWS = [{ merge: true }, { merge: true, schema: 'yaml-1.1' as const }];
const read = (text: string, view: (typeof VIEWS)[number] = VIEWS[0]): Js => {
  const docs = [...parseAllDocuments(text, view)] as Document.Parsed[];
  const error = docs.flatMap(d => d.errors)[0];
  if (error) throw error;
  return docs.map(d => d.toJS());
};
const childOf = (node: unknown, part: string): unknown =>
  node && typeof node === 'object'
    ? (node as Record<string, unknown>)[part]
    : undefined;
const valueAt = (root: unknown, key: string): unknown =>
  key.split('.').reduce(childOf, root);
const setAt = (root: unknown, key: string, value: unknown) => {
  const path = key.split('.');
  const parent = path.slice(0, -1).reduce(childOf, root);
  (parent as Record<string, unknown>)[path[path.length - 1]] = value;
};

/** A git repository in a temp dir holding the given files, committed. */
function gitRepo(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'kop-iac-'));
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', ...args],
      {
        cwd: dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_CONFIG_NOSYSTEM: '1',
        },
      },
    );
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text, 'utf8');
  };
  git('init', '-q');
  Object.entries(files).forEach(([path, text]) => write(path, text));
  git('add', '-A');
  git(
    '-c',
    'user.name=kop',
    '-c',
    'user.email=kop@kop.example',
    'commit',
    '-q',
    '-m',
    'as written by hand',
  );
  return {
    write,
    read: (path: string) => readFileSync(join(dir, path), 'utf8'),
    numstat: () => git('diff', '--numstat'),
    /** `git diff` as unifiedDiff writes it: without the `index` line. */
    diff: () =>
      git('diff', '--no-color', '--no-ext-diff').replace(
        /^index [0-9a-f]+\.\.[0-9a-f]+.*\n/gm,
        '',
      ),
    /** Lines the working tree adds, as `git diff` shows them. */
    added: () =>
      git('diff', '--no-color', '--no-ext-diff')
        .split('\n')
        .filter(line => line.startsWith('+') && !line.startsWith('+++'))
        .map(line => line.slice(1)),
    restore: () =>
      Object.entries(files).forEach(([path, text]) => write(path, text)),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
type Repo = ReturnType<typeof gitRepo>;

/** Tries the edit the way a commit does: the file is written only when the edit succeeds. */
function editInRepo(
  repo: Repo,
  path: string,
  values: Record<string, YamlScalar>,
): string {
  const next = spliceYamlValues(repo.read(path), values, { file: path });
  repo.write(path, next);
  return next;
}

/** What a form sends for each kind of key, checked as the portal checks it. */
function valuesFor(
  kind: IacKeyKind,
  key: string,
  current: unknown,
): YamlScalar[] {
  let raw: YamlScalar[] = colours.filter(c => c !== current);
  if (kind === 'image') raw = TAGS;
  if (kind === 'replicas') raw = ['12', 37];
  return raw.map(value =>
    checkIacValue({
      field: 'value',
      argocdApp: 'hybris',
      key,
      kind,
      value,
      colours,
    }),
  );
}

function fakeGitlab(
  files: Record<string, string>,
): Pick<GitlabClient, 'branch' | 'readFile'> {
  const sha = 'c0ffee'.padEnd(40, '0');
  return {
    branch: async (_project, name) => ({
      name,
      sha,
      protected: false,
      canPush: true,
      webUrl: '',
    }),
    readFile: async (_project, _ref, path) =>
      files[path] === undefined
        ? undefined
        : {
            content: files[path]!,
            blobId: gitBlobId(files[path]!),
            commitId: sha,
            lastCommitId: sha,
          },
  };
}

/** Every layout key of a fixture, each as a change of the Argo CD app whose file holds it. */
function layoutChanges(values: Record<string, YamlScalar>): IacChange[] {
  return Object.entries(values).map(([key, value]) => ({
    argocdApp: hybrisSwitch.keys.includes(key)
      ? hybrisSwitch.argocdApp
      : blue.argocdApp,
    key,
    value,
  }));
}

describe('spliceYamlValues on hand-formatted values files', () => {
  let repo: Repo;
  const path = (name: string) => `corpus/${name}.yaml`;
  beforeAll(() => {
    repo = gitRepo(
      Object.fromEntries(corpus.map(name => [path(name), fixture(name)])),
    );
  });
  afterAll(() => repo.close());
  afterEach(() => repo.restore());

  it('covers the keys the layout in app-config.yaml lets the portal edit', () => {
    expect(Object.fromEntries(layoutKeys)).toEqual({
      'image.tag': 'image',
      replicaCount: 'replicas',
      'storefront.hybrisServiceName': 'switch',
      'backoffice.hybrisServiceName': 'switch',
      'api.hybrisServiceName': 'switch',
    });
    expect(corpus.length).toBeGreaterThanOrEqual(8);
  });

  const cases = corpus.flatMap(name => {
    const before = read(fixture(name));
    return [...layoutKeys].flatMap(([key, kind]) =>
      valuesFor(kind, key, valueAt(before[0], key)).map(
        value => [name, key, value] as [string, string, YamlScalar],
      ),
    );
  });

  it.each(cases)(
    '%s: %s = %j changes one line and no other value',
    (name, key, value) => {
      const text = fixture(name);
      const next = editInRepo(repo, path(name), { [key]: value });

      expect(repo.numstat()).toBe(`1\t1\t${path(name)}\n`);
      for (const view of VIEWS) {
        const before = read(text, view);
        const after = read(next, view);
        expect(valueAt(after[0], key)).toBe(value);
        setAt(after[0], key, valueAt(before[0], key));
        expect(after).toStrictEqual(before);
      }
    },
  );

  it.each(corpus)('%s: all five keys at once change five lines', name => {
    const before = read(fixture(name));
    const values = Object.fromEntries(
      [...layoutKeys].map(([key, kind]) => [
        key,
        valuesFor(kind, key, valueAt(before[0], key))[0],
      ]),
    );
    const next = editInRepo(repo, path(name), values);
    expect(repo.numstat()).toBe(`5\t5\t${path(name)}\n`);
    const after = read(next);
    for (const [key, value] of Object.entries(values)) {
      expect(valueAt(after[0], key)).toBe(value);
      setAt(after[0], key, valueAt(before[0], key));
    }
    expect(after).toStrictEqual(before);
  });

  it.each(corpus.filter(name => name !== 'empty-values'))(
    '%s: setting every key to the value it holds changes nothing',
    name => {
      const text = fixture(name);
      const current = read(text)[0];
      const values = Object.fromEntries(
        [...layoutKeys.keys()].map(key => [
          key,
          valueAt(current, key) as YamlScalar,
        ]),
      );
      expect(
        Object.values(values).every(v =>
          ['string', 'number'].includes(typeof v),
        ),
      ).toBe(true);
      expect(editInRepo(repo, path(name), values)).toBe(text);
      expect(repo.numstat()).toBe('');
    },
  );

  it.each<[string, string, YamlScalar, string[]]>([
    [
      'flow-maps',
      'image.tag',
      '2026.01',
      [
        'image: {repository: registry.kop.example/kop/hybris,   tag: "2026.01" ,pullPolicy: IfNotPresent}',
      ],
    ],
    [
      'flow-maps',
      'backoffice.hybrisServiceName',
      'green',
      ["backoffice: {hybrisServiceName: 'green'}"],
    ],
    [
      'flow-maps',
      'api.hybrisServiceName',
      'green',
      ['    hybrisServiceName: "green",'],
    ],
    [
      'comments',
      'image.tag',
      'deploy-2026-01-08',
      ['  tag: deploy-2026-01-08   # three spaces before this comment'],
    ],
    [
      'comments',
      'image.tag',
      '2026.01',
      ['  tag: "2026.01"   # three spaces before this comment'],
    ],
    [
      'comments',
      'image.tag',
      'yes',
      ['  tag: "yes"   # three spaces before this comment'],
    ],
    ['comments', 'replicaCount', 12, ['replicaCount: 12 #idle colour']],
    [
      'scalar-styles',
      'image.tag',
      'deploy-2026-01-08',
      ['    deploy-2026-01-08'],
    ],
    ['scalar-styles', 'image.tag', '2026-01-08', ['    2026-01-08']],
    ['scalar-styles', 'replicaCount', 12, ['replicaCount: 12']],
    ['scalar-styles', 'storefront.hybrisServiceName', 'green', ['    green']],
    [
      'scalar-styles',
      'backoffice.hybrisServiceName',
      'green',
      ["  hybrisServiceName: 'green'"],
    ],
    [
      'scalar-styles',
      'api.hybrisServiceName',
      'green',
      ['  hybrisServiceName: "green"'],
    ],
    [
      'anchors',
      'image.tag',
      'deploy-2026-01-08',
      ['  tag: &tag deploy-2026-01-08 # anchored, but nothing repeats it'],
    ],
    ['anchors', 'replicaCount', 12, ['replicaCount: &replicas 12']],
    [
      'number-like',
      'image.tag',
      'deploy-2026-01-08',
      ['  tag: "deploy-2026-01-08"'],
    ],
    ['number-like', 'replicaCount', 0, ['replicaCount: 0']],
    [
      'empty-values',
      'image.tag',
      'deploy-2026-01-08',
      ['  tag: deploy-2026-01-08'],
    ],
    [
      'empty-values',
      'replicaCount',
      12,
      ["replicaCount: 12 # the chart's default"],
    ],
    [
      'empty-values',
      'storefront.hybrisServiceName',
      'green',
      ['  hybrisServiceName: green'],
    ],
    [
      'crlf',
      'image.tag',
      'deploy-2026-01-08',
      ['  tag: "deploy-2026-01-08"   # the deploy branch\r'],
    ],
    ['crlf', 'api.hybrisServiceName', 'green', ['    green\r']],
    [
      'no-newline',
      'api.hybrisServiceName',
      'green',
      ['  hybrisServiceName: green'],
    ],
    ['bom', 'replicaCount', 3, ['replicaCount: 3']],
  ])(
    '%s: %s = %j is written in the style the value had',
    (name, key, value, added) => {
      editInRepo(repo, path(name), { [key]: value });
      expect(repo.added()).toEqual(added);
    },
  );

  it('keeps the byte order mark, the CR LF line ends and the missing last newline', () => {
    const bom = editInRepo(repo, path('bom'), { 'image.tag': '2026.01' });
    expect(bom.startsWith('\ufeff# starts with a byte order mark\n')).toBe(
      true,
    );
    const crlf = editInRepo(repo, path('crlf'), {
      replicaCount: 3,
      'image.tag': 'x1',
    });
    expect(crlf.split('\r\n')).toHaveLength(
      fixture('crlf').split('\r\n').length,
    );
    expect(crlf.replace(/\r\n/g, '')).not.toContain('\n');
    const last = editInRepo(repo, path('no-newline'), {
      'api.hybrisServiceName': 'green',
    });
    expect(last.endsWith('  hybrisServiceName: green')).toBe(true);
  });

  it('edits the first document of several, the one Helm reads, and keeps the others', () => {
    const next = editInRepo(repo, path('multi-doc'), {
      'image.tag': 'deploy-2026-01-08',
    });
    const [values, second, third] = read(next);
    expect(valueAt(values, 'image.tag')).toBe('deploy-2026-01-08');
    expect(valueAt(second, 'image.tag')).toBe('deploy-2025-11-30');
    expect(third).toEqual(['a list document', [1, 2, 3]]);
    expect(next).toBe(
      fixture('multi-doc').replace(
        'tag: deploy-2025-12-09',
        'tag: deploy-2026-01-08',
      ),
    );
  });
});

describe('planIacEdit on hand-formatted values files', () => {
  it.each(corpus)(
    '%s: the diff is what git diff shows, one line per value',
    async name => {
      const text = fixture(name);
      const current = read(text)[0];
      const values = Object.fromEntries(
        [...layoutKeys].map(([key, kind]) => [
          key,
          valuesFor(kind, key, valueAt(current, key))[0],
        ]),
      );
      const files = { [blue.values]: text, [hybrisSwitch.values]: text };
      const plan = await planIacEdit({
        gitlab: fakeGitlab(files),
        layout,
        environment: 'prod',
        changes: layoutChanges(values),
      });

      const repo = gitRepo(files);
      try {
        Object.entries(plan.files).forEach(([path, content]) =>
          repo.write(path, content),
        );
        expect(plan.diff).toBe(repo.diff());
        expect(repo.numstat()).toBe(
          `2\t2\t${blue.values}\n3\t3\t${hybrisSwitch.values}\n`,
        );
      } finally {
        repo.close();
      }
      expect(plan.changed).toBe(true);
    },
  );

  it('answers no diff when the values are already there', async () => {
    const text = fixture('comments');
    const current = read(text)[0];
    const values = Object.fromEntries(
      [...layoutKeys.keys()].map(key => [
        key,
        valueAt(current, key) as YamlScalar,
      ]),
    );
    const plan = await planIacEdit({
      gitlab: fakeGitlab({ [blue.values]: text, [hybrisSwitch.values]: text }),
      layout,
      environment: 'prod',
      changes: layoutChanges(values),
    });
    expect(plan).toMatchObject({ diff: '', changed: false });
    expect(plan.files).toEqual({
      [blue.values]: text,
      [hybrisSwitch.values]: text,
    });
  });
});

describe('values that an alias, a shared anchor or a merge key also gives to other keys', () => {
  const UNALIAS = "edit the anchor's value by hand or unalias it";
  const refusals: Array<[string, string, YamlScalar, string]> = [
    ['refuse-alias', 'image.tag', 'deploy-2026-01-08', 'is an alias of &base'],
    ['refuse-alias', 'replicaCount', 12, 'is an alias of &replicas'],
    [
      'refuse-alias',
      'storefront.hybrisServiceName',
      'green',
      'is under storefront, an alias of &switch',
    ],
    [
      'refuse-shared-anchor',
      'image.tag',
      'deploy-2026-01-08',
      'holds the anchor &t, which other keys use as *t',
    ],
    [
      'refuse-shared-anchor',
      'replicaCount',
      12,
      'holds the anchor &n, which other keys use as *n',
    ],
    [
      'refuse-shared-anchor',
      'storefront.hybrisServiceName',
      'green',
      'is under storefront, whose anchor &sf other keys use as *sf',
    ],
    [
      'refuse-merge-key',
      'image.tag',
      'deploy-2026-01-08',
      'comes through the merge key <<: *defaults of image',
    ],
    [
      'refuse-merge-key',
      'replicaCount',
      12,
      'comes through the merge key <<: *counts',
    ],
    [
      'refuse-merge-key',
      'storefront.hybrisServiceName',
      'green',
      'comes through the merge key <<: *defaults of storefront',
    ],
    [
      'refuse-merge-key',
      'backoffice.hybrisServiceName',
      'green',
      'comes through the merge key <<: {…} of backoffice',
    ],
  ];

  let repo: Repo;
  const path = blue.values;
  beforeAll(() => {
    repo = gitRepo(
      Object.fromEntries(names.map(name => [`${name}/${path}`, fixture(name)])),
    );
  });
  afterAll(() => repo.close());
  afterEach(() => repo.restore());

  it.each(refusals)(
    '%s: %s = %j is refused, naming the key, and nothing is written',
    (name, key, value, why) => {
      const file = `${name}/${path}`;
      expect(() => editInRepo(repo, file, { [key]: value })).toThrow(
        new EditConflictError(`${key} in ${file} ${why}; ${UNALIAS}`),
      );
      expect(repo.numstat()).toBe('');
      expect(repo.read(file)).toBe(fixture(name));
    },
  );

  it.each(refusals)(
    '%s: %s = %j is refused by planIacEdit as an input error',
    async (name, key, value, why) => {
      const files = {
        [blue.values]: fixture(name),
        [hybrisSwitch.values]: fixture(name),
      };
      const error = await planIacEdit({
        gitlab: fakeGitlab(files),
        layout,
        environment: 'prod',
        // With a key that could be edited alone, so the refusal stops the whole change.
        changes: layoutChanges({
          'api.hybrisServiceName': 'green',
          [key]: value,
        }),
      }).catch(e => e);
      const file = hybrisSwitch.keys.includes(key)
        ? hybrisSwitch.values
        : blue.values;
      expect(error.name).toBe('InputError');
      expect(error.message).toBe(
        `IaC values: ${key} in ${file} ${why}; ${UNALIAS}`,
      );
    },
  );

  it('is not refused when the key already holds the value asked for', () => {
    const file = `refuse-alias/${path}`;
    expect(
      editInRepo(repo, file, {
        'image.tag': 'deploy-2025-12-09',
        replicaCount: 9,
      }),
    ).toBe(fixture('refuse-alias'));
    expect(repo.numstat()).toBe('');
  });

  it('edits a key beside them, keeping the anchors and aliases', () => {
    const file = `refuse-merge-key/${path}`;
    const next = editInRepo(repo, file, { 'api.hybrisServiceName': 'green' });
    expect(repo.numstat()).toBe(`1\t1\t${file}\n`);
    expect(next).toBe(
      fixture('refuse-merge-key').replace(/blue\n$/, 'green\n'),
    );
  });
});

describe('spliceYamlValues keeps what callers rely on', () => {
  it('checks expected values, naming the key, before changing anything', () => {
    const text = fixture('comments');
    expect(() =>
      spliceYamlValues(
        text,
        { replicaCount: 6 },
        { file: 'f.yaml', expected: { replicaCount: 3 } },
      ),
    ).toThrow(
      new EditConflictError('key replicaCount in f.yaml is 0, expected 3'),
    );
    expect(
      spliceYamlValues(
        text,
        { replicaCount: 6 },
        { expected: { replicaCount: 0 } },
      ),
    ).toBe(text.replace('replicaCount: 0 #', 'replicaCount: 6 #'));
  });

  it('refuses a key that is not there, a map, and text that is not YAML, and adds no key', () => {
    const text = fixture('comments');
    expect(() =>
      spliceYamlValues(text, { 'image.digest': 'x' }, { file: 'f.yaml' }),
    ).toThrow(new EditConflictError('key image.digest is not there in f.yaml'));
    expect(() =>
      spliceYamlValues(text, { storefront: 'x' }, { file: 'f.yaml' }),
    ).toThrow(
      new EditConflictError(
        'key storefront in f.yaml holds a map or a list, not a value',
      ),
    );
    expect(() => spliceYamlValues('a: [1,\n', { a: 1 })).toThrow(
      EditConflictError,
    );
  });

  it('refuses a value its tag would read as another type instead of changing the tag', () => {
    expect(() =>
      spliceYamlValues(
        'replicaCount: !!str 9\n',
        { replicaCount: 12 },
        { file: 'f.yaml' },
      ),
    ).toThrow(
      /^key replicaCount in f\.yaml cannot be set to 12 where it is written/,
    );
  });
});
