import { startSandbox, type RunningSandbox } from '../index';
import {
  asanaSandboxDefaults as d,
  asanaSeedTasks,
  createAsanaService,
} from './index';

describe('Asana stand-in', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ services: [createAsanaService()] });
  });
  afterAll(() => sandbox.close());

  const api = (path: string, init: RequestInit = {}, token = d.token) =>
    fetch(`${sandbox.url}/asana/api/1.0${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
    });

  it('answers 401 in Asana’s error shape without the right token', async () => {
    const res = await api(`/projects/${d.projectGid}`, {}, 'nope');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      errors: [{ message: 'Not Authorized' }],
    });
  });

  it('refuses a custom field value that is not an option, naming the field', async () => {
    const res = await api('/tasks', {
      method: 'POST',
      body: JSON.stringify({
        data: {
          name: 'x',
          projects: [d.projectGid],
          custom_fields: { [d.fields.grade]: '1' },
        },
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errors: [
        { message: 'custom_fields: enum_value 1 is not an option of 배포등급' },
      ],
    });
    expect(await sandbox.services[0].describe!()).toEqual([]);
  });

  it('keeps tasks with their fields and shows them on the page', async () => {
    const created = await api('/tasks', {
      method: 'POST',
      body: JSON.stringify({
        data: {
          name: '2026.11.25 hybris',
          projects: [d.projectGid],
          custom_fields: { [d.fields.buildNumber]: '17' },
        },
      }),
    });
    expect(created.status).toBe(201);
    const { data } = await created.json();
    expect(data.custom_fields).toContainEqual(
      expect.objectContaining({ gid: d.fields.buildNumber, text_value: '17' }),
    );
    expect(await sandbox.services[0].describe!()).toEqual([
      expect.objectContaining({ task: data.gid, build: '17', completed: '' }),
    ]);
  });
});

describe('Asana stand-in: the release project’s work items', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      services: [createAsanaService({ tasks: asanaSeedTasks })],
    });
  });
  afterAll(() => sandbox.close());

  const get = async (query: string) => {
    const res = await fetch(
      `${sandbox.url}/asana/api/1.0/projects/${d.projectGid}/tasks?${query}`,
      { headers: { authorization: `Bearer ${d.token}` } },
    );
    return { status: res.status, body: await res.json() };
  };
  const open = asanaSeedTasks.filter(t => !t.completed);

  it('answers compact records without opt_fields, and all of them without limit', async () => {
    const { body } = await get('');
    expect(body).toEqual({
      data: asanaSeedTasks.map(t => ({
        gid: t.gid,
        resource_type: 'task',
        name: t.name,
        resource_subtype: 'default_task',
      })),
      next_page: null,
    });
  });

  it('pages with the offset token it hands out, and leaves completed tasks out with completed_since=now', async () => {
    const first = await get('limit=3&completed_since=now&opt_fields=name');
    expect(first.body.data.map((t: { name: string }) => t.name)).toEqual(
      open.slice(0, 3).map(t => t.name),
    );
    const { offset, path, uri } = first.body.next_page;
    expect(path).toBe(
      `/projects/${d.projectGid}/tasks?limit=3&offset=${offset}`,
    );
    expect(uri).toBe(`https://app.asana.com/api/1.0${path}`);
    const second = await get(
      `limit=3&completed_since=now&opt_fields=name&offset=${offset}`,
    );
    expect(second.body).toEqual({
      data: open
        .slice(3)
        .map(t => ({ gid: t.gid, resource_type: 'task', name: t.name })),
      next_page: null,
    });
  });

  it('answers the fields opt_fields names: assignee, section and permalink', async () => {
    const { body } = await get(
      'limit=1&opt_fields=name,completed,permalink_url,assignee.name,memberships.section.name',
    );
    const seed = asanaSeedTasks[0];
    expect(body.data).toEqual([
      {
        gid: seed.gid,
        resource_type: 'task',
        name: seed.name,
        completed: false,
        permalink_url: `https://app.asana.com/0/${d.projectGid}/${seed.gid}`,
        assignee: {
          gid: seed.assignee,
          resource_type: 'user',
          name: expect.any(String),
        },
        memberships: [
          {
            project: expect.objectContaining({ gid: d.projectGid }),
            section: {
              gid: d.workSectionGid,
              resource_type: 'section',
              name: '배포 대기',
            },
          },
        ],
      },
    ]);
  });

  it('refuses a page size out of range and an offset it did not hand out, naming the parameter', async () => {
    expect(await get('limit=101')).toEqual({
      status: 400,
      body: { errors: [{ message: 'limit: Must be between 1 and 100' }] },
    });
    expect(await get('limit=2&offset=forged')).toEqual({
      status: 400,
      body: {
        errors: [
          { message: 'offset: Your pagination token is invalid or expired' },
        ],
      },
    });
  });

  it('shows the work items on the sandbox page', async () => {
    const rows = await sandbox.services[0].describe!();
    expect(rows.map(r => r.name)).toEqual(asanaSeedTasks.map(t => t.name));
  });
});
