import { act, screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { rootRouteRef } from '../../routes';
import {
  controllableStream,
  statusFixture,
} from '../../__testUtils__/statusFixtures';
import { openRelease } from '../../__testUtils__/dashboardFixtures';
import {
  deployViewFixture,
  runFixture,
  runStepsFixture,
} from '../../__testUtils__/deployFixtures';
import { EntityDeployContent } from './EntityDeployContent';

function tabApi(overrides: Partial<ReleaseApi> = {}) {
  const stream = controllableStream();
  const api: Partial<ReleaseApi> = {
    getHealth: async () => ({
      status: 'ok' as const,
      product: 'kop',
      environments: ['beta', 'prod'],
    }),
    listReleases: jest.fn(async () => ({ items: [] })),
    streamStatus: stream.streamStatus,
    getStatus: jest.fn(() => new Promise(() => {})),
    ...overrides,
  };
  return { api, stream };
}

function renderTab(api: Partial<ReleaseApi>, entity: Entity) {
  return renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, api]]}>
      <EntityProvider entity={entity}>
        <EntityDeployContent />
      </EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/releases': rootRouteRef } },
  );
}

const component = (name: string, annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, annotations },
  spec: { type: 'service', owner: 'kop-hybris', lifecycle: 'production' },
});

const hybris = component('hybris', {
  'kop.release/strategy': 'blue-green-steps',
});

describe('EntityDeployContent', () => {
  it("shows the app's live status card in each environment, and nothing of the other apps", async () => {
    const { api, stream } = tabApi();
    await renderTab(api, hybris);
    act(() => stream.emit(statusFixture()));
    expect(screen.getByText('Live status of hybris')).toBeInTheDocument();
    expect(
      screen.getAllByRole('group').map(g => g.getAttribute('aria-label')),
    ).toEqual(['hybris in beta', 'hybris in prod']);
    expect(screen.getByTestId('colour-green')).toHaveTextContent('6/9 ready');
  });

  it("lists the app's release history, each linked to its page", async () => {
    const { api } = tabApi({
      listReleases: jest.fn(async () => ({
        items: [openRelease({ state: 'done' })],
      })),
    });
    await renderTab(api, hybris);
    expect(
      await screen.findByRole('link', { name: '2026.11.25 hybris, web' }),
    ).toHaveAttribute('href', '/releases/0b9c3a8e-1111-4222-8333-944455556666');
    expect(screen.getByText('Release history of hybris')).toBeInTheDocument();
    expect(screen.getByText('Done')).toBeInTheDocument();
    expect(api.listReleases).toHaveBeenCalledWith({ app: 'hybris', limit: 50 });
  });

  it('shows which release of the app is deploying and the step it is at', async () => {
    const deploying = openRelease({ state: 'switching' });
    const { api } = tabApi({
      listReleases: jest.fn(async () => ({
        items: [deploying, openRelease({ id: 'old', state: 'done' })],
      })),
      getDeploy: jest.fn(async () =>
        deployViewFixture({
          runs: [runFixture({ steps: runStepsFixture(4, 'waiting') })],
        }),
      ),
    });
    await renderTab(api, hybris);
    expect(
      await screen.findByTestId(`kop-release-deploy-step-${deploying.id}`),
    ).toHaveTextContent('Step 5/6: Switch hybris traffic to green');
    expect(
      screen.getByTestId(`kop-release-deploying-${deploying.id}`),
    ).toHaveTextContent('Switching');
    expect(api.getDeploy).toHaveBeenCalledWith(deploying.id);
    expect(api.getDeploy).not.toHaveBeenCalledWith('old');
  });

  it('says the app has no releases yet and offers the config-change form', async () => {
    const { api } = tabApi();
    await renderTab(api, hybris);
    expect(
      await screen.findByText('No releases of hybris yet'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Change config' })).toHaveAttribute(
      'href',
      '/create/templates/default/kop-config-change',
    );
    expect(
      await screen.findByText('Release backend connected: kop (beta → prod)'),
    ).toBeInTheDocument();
  });

  it('explains when the component is not a kop release app', async () => {
    const { api } = tabApi();
    await renderTab(api, component('payments', {}));
    expect(screen.getByText(/is not a kop release app/)).toBeInTheDocument();
    expect(api.streamStatus).not.toHaveBeenCalled();
  });
});
