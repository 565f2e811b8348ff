import { screen } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef } from '@backstage/core-plugin-api';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { ReleasesPage } from './ReleasesPage';
import type { Release } from '@internal/plugin-release-common';

function renderPage(api: Pick<ReleaseApi, 'getHealth' | 'listReleases'>) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api as ReleaseApi],
        [
          configApiRef,
          mockApis.config({ data: { release: { product: 'kop' } } }),
        ],
      ]}
    >
      <ReleasesPage />
    </TestApiProvider>,
  );
}

const health = async () => ({
  status: 'ok' as const,
  product: 'kop',
  environments: ['beta', 'prod'],
});

const release: Release = {
  id: '0b9c3a8e-1111-4222-8333-944455556666',
  product: 'kop',
  title: '2026.11.25 hybris, web',
  state: 'awaiting_approval',
  grade: 'B',
  minimumGrade: 'A',
  changeClasses: [],
  dbUpdate: false,
  apps: [
    {
      app: 'hybris',
      version: 'deploy-2026-11-25',
      strategy: 'blue-green-steps',
      steps: [3, 6, 9],
    },
    { app: 'web', version: 'a7ed4db1', strategy: 'sync' },
  ],
  items: [],
  author: 'user:default/kim.minjun',
  links: [],
  approvals: [],
  retroApprovalPending: false,
  createdAt: '2026-11-25T02:00:00.000Z',
  updatedAt: '2026-11-25T02:00:00.000Z',
  revision: 2,
};

describe('ReleasesPage', () => {
  it('lists releases with their versions, grade and state', async () => {
    await renderPage({
      getHealth: health,
      listReleases: async () => ({ items: [release] }),
    });
    expect(
      await screen.findByText('2026.11.25 hybris, web'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('hybris(deploy-2026-11-25), web(a7ed4db1)'),
    ).toBeInTheDocument();
    expect(screen.getByText('awaiting_approval')).toBeInTheDocument();
    expect(screen.getByText('kim.minjun')).toBeInTheDocument();
  });

  it('says there are no releases yet and that the backend answers', async () => {
    await renderPage({
      getHealth: health,
      listReleases: async () => ({ items: [] }),
    });
    expect(await screen.findByText('No releases yet')).toBeInTheDocument();
    expect(screen.getByText('kop release portal')).toBeInTheDocument();
    expect(
      await screen.findByText('Release backend connected: kop (beta → prod)'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'New release' })).toHaveAttribute(
      'href',
      '/create',
    );
  });

  it('shows why the backend is unreachable instead of spinning', async () => {
    await renderPage({
      getHealth: async () => {
        throw new Error('503 Service Unavailable');
      },
      listReleases: async () => {
        throw new Error('503 Service Unavailable');
      },
    });
    expect(
      await screen.findByText(
        'The release backend did not answer: 503 Service Unavailable',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/503 Service Unavailable/).length,
    ).toBeGreaterThan(1);
  });
});
