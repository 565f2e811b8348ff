import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { asanaSandboxDefaults, asanaSeedTasks, seedFacts } from 'sandbox';
import type { Server } from 'node:http';
import request from 'supertest';
import { alwaysOpen, startReleaseBackend } from './__testUtils__/backend';
import {
  createTestDatabases,
  databaseIds,
  initMigrated,
} from './__testUtils__/databases';
import { user } from './__testUtils__/org';
import {
  sandboxSystemsConfig,
  startTestSandbox,
} from './__testUtils__/sandboxConfig';

jest.setTimeout(120_000);

const as = (name: string) => mockCredentials.user.header(user(name));
const d = asanaSandboxDefaults;
const open = asanaSeedTasks.filter(t => !t.completed);

let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
const asanaConfig = () => ({
  baseUrl: `${sandbox.url}/asana/api/1.0`,
  token: d.token,
  projectGid: d.projectGid,
  sectionGid: d.sectionGid,
  fields: d.fields,
});
const start = (
  options: Parameters<typeof startReleaseBackend>[0] & {
    asana?: object | null;
  } = {},
) => {
  const systems = sandboxSystemsConfig(sandbox);
  return startReleaseBackend({
    ...options,
    config: {
      ...alwaysOpen,
      integrations: systems.integrations,
      jenkins: systems.jenkins,
      ...(options.asana === null
        ? {}
        : { asana: options.asana ?? asanaConfig() }),
    },
  });
};

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.dispose());

describe('GET /asana/tasks: the release project’s tasks for the Prepare form', () => {
  let server: Server;
  beforeAll(async () => {
    ({ server } = await start());
  });
  const get = (query: string, header = as('kim.minjun'), on = server) =>
    request(on)
      .get(`/api/release/asana/tasks${query}`)
      .set('authorization', header);

  it('answers the open work items with their link, assignee and section', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(false);
    expect(res.body.tasks.map((t: { name: string }) => t.name)).toEqual(
      open.map(t => t.name),
    );
    expect(res.body.tasks[0]).toEqual({
      gid: open[0].gid,
      name: open[0].name,
      completed: false,
      url: `https://app.asana.com/0/${d.projectGid}/${open[0].gid}`,
      assignee: expect.stringMatching(/\S/),
      section: '배포 대기',
    });
  });

  it('narrows to the names holding q, and adds completed tasks when asked', async () => {
    const cms = await get(`?q=${encodeURIComponent('[cms]')}`);
    expect(cms.body.tasks.map((t: { name: string }) => t.name)).toEqual(
      open.filter(t => t.name.startsWith('[CMS]')).map(t => t.name),
    );
    const all = await get('?completed=true');
    expect(
      all.body.tasks.map((t: { name: string; completed: boolean }) => [
        t.name,
        t.completed,
      ]),
    ).toEqual(asanaSeedTasks.map(t => [t.name, t.completed ?? false]));
  });

  it('names the field of a bad query', async () => {
    const bad = await get('?completed=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^completed: /);
    const unknown = await get('?project=1');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/^query: Unrecognized key/);
  });

  it('refuses anonymous callers (401) and those who may not prepare a release (403)', async () => {
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      expect((await get('', header)).status).toBe(401);
    }
    const { server: closed } = await start({
      permission: AuthorizeResult.DENY,
    });
    const res = await get('', as('kim.minjun'), closed);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'You lack the release.create permission',
    );
  });

  it('names Asana, what failed, the API URL and the cause when Asana fails, never the token', async () => {
    sandbox.context.faults.add({
      path: `/asana/api/1.0/projects/${d.projectGid}/tasks`,
      method: 'GET',
      // The client's default policy tries four times.
      count: 4,
      status: 500,
      body: { errors: [{ message: 'Server Error' }] },
    });
    const res = await get('');
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe(
      `Asana (${sandbox.url}/asana/api/1.0/projects/${d.projectGid}/tasks): list tasks failed (HTTP 500): Server Error after 4 tries`,
    );
    expect(JSON.stringify(res.body)).not.toContain(d.token);
  });

  it('says Asana is not configured, and with which setting', async () => {
    const { server: bare } = await start({ asana: null });
    const res = await get('', as('kim.minjun'), bare);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe(
      'Asana is not configured: set asana in app-config',
    );
  });
});

describe.each(databaseIds)(
  'a release with items picked from Asana (%s)',
  databaseId => {
    const databases = createTestDatabases();
    let server: Server;
    beforeAll(async () => {
      const knex = await initMigrated(databases, databaseId);
      ({ server } = await start({ knex }));
    });

    const item = {
      title: asanaSeedTasks[1].name,
      app: 'hybris',
      source: {
        type: 'asana',
        gid: asanaSeedTasks[1].gid,
        url: `https://app.asana.com/0/${d.projectGid}/${asanaSeedTasks[1].gid}`,
      },
    };
    const draft = (items: unknown[]) => ({
      grade: 'B',
      dbUpdate: false,
      apps: [{ app: 'hybris', version: seedFacts.hybris.candidate }],
      items,
    });

    it('is stored with its Asana link, announced by title and linked in the Asana notes', async () => {
      const created = await request(server)
        .post('/api/release/releases')
        .set('authorization', as('kim.minjun'))
        .send(draft([item]));
      expect(created.status).toBe(201);
      expect(created.body.items).toEqual([item]);
      const preview = await request(server)
        .post('/api/release/preview')
        .set('authorization', as('kim.minjun'))
        .send(draft([item]));
      expect(preview.body.notes.announcement).toContain(
        `- 배포내역\n\t- ${item.title}`,
      );
      expect(preview.body.notes.asana).toContain(
        `- ${item.title} (${item.source.url})`,
      );
    });

    it('is refused naming the field when it has no task gid or a link that is not one', async () => {
      const before = await request(server)
        .get('/api/release/releases')
        .set('authorization', as('kim.minjun'));
      const noGid = await request(server)
        .post('/api/release/releases')
        .set('authorization', as('kim.minjun'))
        .send(
          draft([{ ...item, source: { type: 'asana', url: item.source.url } }]),
        );
      expect(noGid.status).toBe(400);
      expect(noGid.body.error.message).toBe('items.0.source.gid: Required');
      const badLink = await request(server)
        .post('/api/release/releases')
        .set('authorization', as('kim.minjun'))
        .send(
          draft([
            { ...item, source: { ...item.source, url: 'asana:task/1209' } },
          ]),
        );
      expect(badLink.status).toBe(400);
      expect(badLink.body.error.message).toBe(
        'items.0.source.url: must be an http(s) URL',
      );
      const after = await request(server)
        .get('/api/release/releases')
        .set('authorization', as('kim.minjun'));
      expect(after.body.items).toHaveLength(before.body.items.length);
    });
  },
);
