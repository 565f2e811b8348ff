import { screen } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import releasePlugin from './alpha';
import { releaseApiRef } from './api';

describe('release plugin (new frontend system)', () => {
  it('serves the releases page at /releases', async () => {
    renderTestApp({
      features: [releasePlugin],
      initialRouteEntries: ['/releases'],
      config: { release: { product: 'kop' } },
      apis: [
        [
          releaseApiRef,
          {
            getHealth: async () => ({
              status: 'ok' as const,
              product: 'kop',
              environments: ['beta', 'prod'],
            }),
            listReleases: async () => ({ items: [] }),
          },
        ],
      ],
    });
    expect(await screen.findByText('No releases yet')).toBeInTheDocument();
  });
});
