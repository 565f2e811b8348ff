import { simulatedArgoApps } from './argocd';
import {
  defaultSandboxServices,
  startSandbox,
  type RunningSandbox,
} from './index';

jest.setTimeout(60_000);

describe('the default sandbox with simulated apps', () => {
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0,
      services: defaultSandboxServices({ simulatedApps: 12 }),
    });
  });
  afterAll(() => sandbox.close());

  it('holds the kop apps and the simulated ones, synced and healthy from web’s values', async () => {
    const res = await fetch(`${sandbox.url}/argocd/beta/api/v1/applications`, {
      headers: { authorization: 'Bearer argocd-sandbox-token' },
    });
    const { items } = await res.json();
    const names = items.map((a: any) => a.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining(['hybris-blue', 'web', 'sim-001', 'sim-012']),
    );
    expect(names).toHaveLength(6 + 12);
    const sim = items.find((a: any) => a.metadata.name === 'sim-007');
    const web = items.find((a: any) => a.metadata.name === 'web');
    expect(sim.metadata.labels['kop/simulated']).toBe('true');
    expect(sim.status.sync.status).toBe('Synced');
    expect(sim.status.health.status).toBe('Healthy');
    expect(sim.status.summary.images).toEqual(web.status.summary.images);
  });

  it('names the apps per instance and refuses an absurd count', () => {
    expect(
      simulatedArgoApps(2, ['prod']).map(a => `${a.instance}/${a.name}`),
    ).toEqual(['prod/sim-001', 'prod/sim-002']);
    expect(() => simulatedArgoApps(-1)).toThrow(RangeError);
  });
});
