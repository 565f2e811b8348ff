import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { Release, ReleaseTestRun } from '@internal/plugin-release-common';
import { releaseApiRef } from '../../api';
import {
  fakeReleaseApi,
  releaseFixture,
  releaseId,
} from '../../__testUtils__/releaseFixtures';
import { BuildResults, TestResults } from './StageResults';

const paymentRun: ReleaseTestRun = {
  kind: 'payment',
  environment: 'beta',
  runId: 'run-1',
  finishedAt: '2026-01-08T02:00:00.000Z',
  results: [
    {
      name: 'ks',
      brand: 'ks',
      kind: 'jenkins',
      job: 'kop/payment-tests',
      result: 'passed',
      durationMs: 8000,
      url: 'https://jenkins.example/job/kop/job/payment-tests/4/',
    },
    {
      name: 'tc',
      brand: 'tc',
      kind: 'jenkins',
      job: 'kop/payment-tests',
      result: 'failed',
      durationMs: 9000,
      url: 'https://jenkins.example/job/kop/job/payment-tests/5/',
      detail: '#5 finished FAILURE',
    },
  ],
};

function renderTests(release: Release, canOverride: boolean) {
  const overrideTests = jest.fn(async () =>
    releaseFixture({
      tests: [paymentRun],
      testOverrides: [
        {
          kind: 'payment',
          runId: 'run-1',
          by: 'user:default/kim.minjun',
          reason: 'the PG sandbox of tc is down',
          at: '2026-01-08T02:10:00.000Z',
        },
      ],
    }),
  );
  const onChanged = jest.fn();
  return {
    overrideTests,
    onChanged,
    rendered: renderInTestApp(
      <TestApiProvider
        apis={[[releaseApiRef, fakeReleaseApi({ overrideTests })]]}
      >
        <TestResults
          release={release}
          kind="payment"
          canOverride={canOverride}
          onChanged={onChanged}
        />
      </TestApiProvider>,
    ),
  };
}

describe('TestResults', () => {
  it('shows each brand with its result and link, and lets the author go on with a reason', async () => {
    const { overrideTests, onChanged, rendered } = renderTests(
      releaseFixture({ tests: [paymentRun] }),
      true,
    );
    await rendered;
    const box = screen.getByTestId('kop-tests-payment');
    expect(box).toHaveAttribute('data-standing', 'failed');
    expect(within(box).getByText('Payment tests on beta')).toBeInTheDocument();
    expect(within(box).getByText('tc').closest('a')).toHaveAttribute(
      'href',
      'https://jenkins.example/job/kop/job/payment-tests/5/',
    );
    expect(within(box).getByText('Failed: tc.')).toBeInTheDocument();

    fireEvent.click(screen.getByTestId('kop-tests-payment-override-button'));
    const dialog = await screen.findByTestId(
      'kop-tests-payment-override-dialog',
    );
    fireEvent.change(within(dialog).getByLabelText('Reason'), {
      target: { value: 'the PG sandbox of tc is down' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Go on' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(overrideTests).toHaveBeenCalledWith(releaseId, {
      kind: 'payment',
      reason: 'the PG sandbox of tc is down',
    });
  });

  it('keeps the override button disabled for who may not give it', async () => {
    await renderTests(releaseFixture({ tests: [paymentRun] }), false).rendered;
    expect(
      screen.getByTestId('kop-tests-payment-override-button'),
    ).toBeDisabled();
  });

  it('says who overrode the failures and why', async () => {
    await renderTests(
      releaseFixture({
        tests: [paymentRun],
        testOverrides: [
          {
            kind: 'payment',
            runId: 'run-1',
            by: 'user:default/kim.minjun',
            reason: 'the PG sandbox of tc is down',
            at: '2026-01-08T02:10:00.000Z',
          },
        ],
      }),
      true,
    ).rendered;
    expect(screen.getByTestId('kop-tests-payment-override')).toHaveTextContent(
      'kim.minjun: the PG sandbox of tc is down',
    );
    expect(
      screen.queryByTestId('kop-tests-payment-override-button'),
    ).not.toBeInTheDocument();
  });
});

describe('BuildResults', () => {
  it('shows each build with its number, image tag and, when it failed, its console', async () => {
    await renderInTestApp(
      <BuildResults
        release={releaseFixture({
          builds: [
            {
              app: 'hybris',
              version: 'deploy-2026-01-08',
              system: 'jenkins',
              job: 'kop/hybris-build',
              buildNumber: 12,
              imageTag: 'deploy-2026-01-08-12',
              url: 'https://jenkins.example/job/kop/job/hybris-build/12/',
              result: 'success',
              at: '2026-01-08T01:00:00.000Z',
            },
            {
              app: 'cms',
              version: '6e27011f',
              system: 'gitlab',
              job: 'kop/cms',
              buildNumber: 9001,
              url: 'https://gitlab.example/kop/cms/-/pipelines/9001',
              consoleUrl: 'https://gitlab.example/kop/cms/-/pipelines/9001',
              result: 'failed',
              at: '2026-01-08T01:00:00.000Z',
            },
          ],
        })}
      />,
    );
    const box = screen.getByTestId('kop-release-builds');
    expect(
      within(box)
        .getByText('hybris deploy-2026-01-08: kop/hybris-build #12')
        .closest('a'),
    ).toHaveAttribute(
      'href',
      'https://jenkins.example/job/kop/job/hybris-build/12/',
    );
    expect(
      within(box).getByText(/image deploy-2026-01-08-12/),
    ).toBeInTheDocument();
    expect(within(box).getByText('build failed')).toBeInTheDocument();
    expect(within(box).getByText('console').closest('a')).toHaveAttribute(
      'href',
      'https://gitlab.example/kop/cms/-/pipelines/9001',
    );
  });
});
