import { screen } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef } from '@backstage/core-plugin-api';
import { releaseApiRef, type ReleaseApi } from '../../api';
import { ReleasesPage } from './ReleasesPage';

function renderPage(api: ReleaseApi) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
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

describe('ReleasesPage', () => {
  it('says there are no releases yet and that the backend answers', async () => {
    await renderPage({
      getHealth: async () => ({
        status: 'ok',
        product: 'kop',
        environments: ['beta', 'prod'],
      }),
    });
    expect(screen.getByText('No releases yet')).toBeInTheDocument();
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
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The release backend did not answer: 503 Service Unavailable',
    );
  });
});
