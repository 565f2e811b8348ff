import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import type { ReleaseStatusColour } from '@internal/plugin-release-common';
import { hybrisProdFixture } from '../../__testUtils__/statusFixtures';
import { AppStatusRow } from './AppStatusRow';
import { formatMetric, latestValue, Sparkline } from './Sparkline';
import { createFormatters } from '../formatters';

function hybrisWith(colours: ReleaseStatusColour[]) {
  return { ...hybrisProdFixture(), colours };
}

const idleGreen: ReleaseStatusColour = {
  colour: 'green',
  argocdApp: 'hybris-green',
  live: false,
  replicas: { ready: 0, pods: 0, desired: 0 },
  cluster: {
    up: false,
    viewSize: 0,
    complete: false,
    missing: [],
  },
};

describe('AppStatusRow', () => {
  it('shows an idle colour as scaled to 0 with no JGroups node, without alarm', async () => {
    await renderInTestApp(
      <AppStatusRow environment="prod" status={hybrisWith([idleGreen])} />,
    );
    const green = screen.getByTestId('colour-green');
    expect(within(green).getByText('scaled to 0')).toBeInTheDocument();
    expect(
      within(green).getByText('JGroups: no node answers'),
    ).toBeInTheDocument();
    expect(within(green).getByText('scaled to 0')).toHaveAttribute(
      'data-status',
      'aborted',
    );
    expect(within(green).getByText('JGroups: no node answers')).toHaveAttribute(
      'data-status',
      'aborted',
    );
    expect(within(green).getByText('no error data')).toBeInTheDocument();
  });

  it('warns when a colour meant to run has no JGroups node answering', async () => {
    await renderInTestApp(
      <AppStatusRow
        environment="prod"
        status={hybrisWith([
          { ...idleGreen, replicas: { ready: 0, pods: 3, desired: 3 } },
        ])}
      />,
    );
    const green = screen.getByTestId('colour-green');
    expect(within(green).getByText('0/3 ready')).toBeInTheDocument();
    expect(within(green).getByText('JGroups: no node answers')).toHaveAttribute(
      'data-status',
      'warning',
    );
  });

  it('counts pods when the desired replicas are unknown, and marks an unknown expected view', async () => {
    await renderInTestApp(
      <AppStatusRow
        environment="beta"
        status={hybrisWith([
          {
            ...idleGreen,
            replicas: { ready: 2, pods: 3 },
            cluster: { up: true, viewSize: 2, complete: false, missing: [] },
          },
        ])}
      />,
    );
    const green = screen.getByTestId('colour-green');
    expect(within(green).getByText('2/3 pods ready')).toBeInTheDocument();
    expect(within(green).getByText('JGroups 2/?')).toBeInTheDocument();
  });

  it('says when the version and the Argo CD apps are unknown', async () => {
    await renderInTestApp(
      <AppStatusRow
        environment="beta"
        status={{
          app: 'web',
          versions: [],
          sync: 'Unknown',
          health: 'Unknown',
          argocd: [],
          errors: ['Argo CD beta did not answer within 5 s'],
        }}
      />,
    );
    expect(screen.getByText('version unknown')).toBeInTheDocument();
    expect(screen.getByText('No Argo CD app reported')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Argo CD beta did not answer within 5 s',
    );
  });

  it("names a failed Argo CD operation and the app's conditions", async () => {
    await renderInTestApp(
      <AppStatusRow
        environment="prod"
        status={{
          app: 'web',
          version: '9f8e7d6c',
          versions: ['9f8e7d6c'],
          sync: 'OutOfSync',
          health: 'Degraded',
          argocd: [
            {
              name: 'web',
              instance: 'prod',
              sync: 'OutOfSync',
              health: 'Degraded',
              images: [],
              operation: {
                phase: 'Failed',
                running: false,
                message: 'one or more objects failed to apply',
              },
              conditions: ['ComparisonError: values.yaml: invalid YAML'],
            },
          ],
        }}
      />,
    );
    expect(
      screen.getByText(
        'last Argo CD operation Failed: one or more objects failed to apply',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('ComparisonError: values.yaml: invalid YAML'),
    ).toBeInTheDocument();
    expect(screen.getByText('Degraded')).toHaveAttribute(
      'data-status',
      'error',
    );
    expect(screen.getByText('OutOfSync')).toHaveAttribute(
      'data-status',
      'warning',
    );
  });
});

describe('Sparkline', () => {
  it('draws the points oldest first, zero at the bottom, and the limit as a line', async () => {
    await renderInTestApp(
      <Sparkline
        label="Error rate of green"
        width={102}
        height={22}
        limit={2}
        points={[
          { t: 3, v: 4 },
          { t: 1, v: 0 },
          { t: 2, v: 2 },
        ]}
      />,
    );
    expect(screen.getByTestId('sparkline-line').getAttribute('points')).toBe(
      '1.0,21.0 51.0,11.0 101.0,1.0',
    );
    expect(screen.getByTestId('sparkline-limit').getAttribute('y1')).toBe('11');
  });

  it('formats the newest value with three significant digits', () => {
    expect(
      latestValue([
        { t: 2, v: 0.123456 },
        { t: 1, v: 9 },
      ]),
    ).toBe(0.123456);
    const en = createFormatters('en-GB').formatNumber;
    expect(formatMetric(0.123456, en)).toBe('0.123');
    expect(formatMetric(1234.5, en)).toBe('1,230');
    expect(formatMetric(1234.5, createFormatters('de-DE').formatNumber)).toBe(
      '1.230',
    );
    expect(latestValue([])).toBeUndefined();
  });
});
