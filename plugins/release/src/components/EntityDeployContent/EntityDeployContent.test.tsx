import { screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { releaseApiRef } from '../../api';
import { EntityDeployContent } from './EntityDeployContent';

const listReleases = jest.fn(async () => ({ items: [] }));
const api = {
  getHealth: async () => ({
    status: 'ok' as const,
    product: 'kop',
    environments: ['beta', 'prod'],
  }),
  listReleases,
};

function renderTab(entity: Entity) {
  return renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, api]]}>
      <EntityProvider entity={entity}>
        <EntityDeployContent />
      </EntityProvider>
    </TestApiProvider>,
  );
}

const component = (name: string, annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, annotations },
  spec: { type: 'service', owner: 'kop-hybris', lifecycle: 'production' },
});

describe('EntityDeployContent', () => {
  it('says the app has no releases yet', async () => {
    await renderTab(
      component('hybris', { 'kop.release/strategy': 'blue-green-steps' }),
    );
    expect(
      await screen.findByText('No releases of hybris yet'),
    ).toBeInTheDocument();
    expect(listReleases).toHaveBeenCalledWith({ app: 'hybris', limit: 50 });
    expect(
      await screen.findByText('Release backend connected: kop (beta → prod)'),
    ).toBeInTheDocument();
  });

  it('explains when the component is not a kop release app', async () => {
    await renderTab(component('payments', {}));
    expect(screen.getByText(/is not a kop release app/)).toBeInTheDocument();
  });
});
