import { screen } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import releasePlugin from './alpha';
import { releaseApiRef } from './api';
import {
  setupCheckFixture,
  statusFixture,
} from './__testUtils__/statusFixtures';

const health = async () => ({
  status: 'ok' as const,
  product: 'kop',
  environments: ['beta', 'prod'],
});

// Pages load lazily: allow a busy machine more than the default second.
const lazyPage = { timeout: 15_000 };
// The lazy dashboard (with the deploy progress and stop-the-line) loads past jest's 5 s when busy.
jest.setTimeout(30_000);

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
            getHealth: health,
            listReleases: async () => ({ items: [] }),
            listPendingApprovals: async () => ({ items: [] }),
            getStopTheLine: async () => ({}),
            streamStatus: handlers => {
              handlers.onStatus(statusFixture());
              return () => {};
            },
          },
        ],
      ],
    });
    expect(
      await screen.findByText('No open releases', undefined, lazyPage),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('group', { name: 'hybris in prod' }),
    ).toBeInTheDocument();
  });

  it('serves the setup check at /releases/setup', async () => {
    renderTestApp({
      features: [releasePlugin],
      initialRouteEntries: ['/releases/setup'],
      config: { release: { product: 'kop' } },
      apis: [
        [releaseApiRef, { getSetupCheck: async () => setupCheckFixture() }],
      ],
    });
    expect(
      await screen.findByText(
        '2 of 3 systems need attention',
        undefined,
        lazyPage,
      ),
    ).toBeInTheDocument();
  });
});
