import { startSandbox, type RunningSandbox } from '../index';
import { asanaSandboxDefaults as d, createAsanaService } from './index';

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
