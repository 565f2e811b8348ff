import { screen } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import releasePlugin from './alpha';
import { releaseApiRef } from './api';
import { fakeReleaseApi, releaseId } from './__testUtils__/releaseFixtures';

// The whole app renders here; on a busy two-core machine that takes seconds.
jest.setTimeout(30_000);

describe('release plugin routes (new frontend system)', () => {
  it("lands the release form's /releases/<id> link on the release page", async () => {
    renderTestApp({
      features: [releasePlugin],
      initialRouteEntries: [`/releases/${releaseId}`],
      config: { release: { product: 'kop' } },
      apis: [[releaseApiRef, fakeReleaseApi()]],
    });
    expect(
      await screen.findByRole(
        'heading',
        { name: '2026.11.25 hybris, web' },
        { timeout: 15_000 },
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByTestId('kop-release-ships-hybris'),
    ).toBeInTheDocument();
  });

  it('serves the approvals inbox at /releases/approvals', async () => {
    renderTestApp({
      features: [releasePlugin],
      initialRouteEntries: ['/releases/approvals'],
      config: { release: { product: 'kop' } },
      apis: [
        [
          releaseApiRef,
          fakeReleaseApi({
            listPendingApprovals: jest.fn(async () => ({ items: [] })),
          }),
        ],
      ],
    });
    expect(
      await screen.findByText('Nothing waits for you', undefined, {
        timeout: 15_000,
      }),
    ).toBeInTheDocument();
  });
});
