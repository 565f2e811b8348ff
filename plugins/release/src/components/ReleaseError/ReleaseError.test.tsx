import { screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { mockApis } from '@backstage/frontend-test-utils';
import { appLanguageApiRef } from '@backstage/core-plugin-api/alpha';
import { ResponseError } from '@backstage/errors';
import { nextWindowOf, ReleaseErrorMessage } from './ReleaseError';

/** The refusal the backend sends for a deploy outside the release windows. */
async function windowRefusal(opensAt: Date): Promise<ResponseError> {
  const iso = opensAt.toISOString();
  const body = JSON.stringify({
    error: {
      name: 'NotAllowedError',
      message: `Outside the release windows only grade E deploys, or team-lead may override with a reason. The next window opens Mon 7 Dec 10:00 Asia/Seoul (${iso})`,
      nextWindow: {
        opensAt: iso,
        closesAt: new Date(opensAt.getTime() + 7 * 3600_000).toISOString(),
        tz: 'Asia/Seoul',
      },
    },
    request: { method: 'POST', url: '/api/release/releases/r-1/transitions' },
    response: { statusCode: 403 },
  });
  return ResponseError.fromResponse({
    status: 403,
    statusText: 'Forbidden',
    ok: false,
    headers: { get: () => 'application/json; charset=utf-8' },
    text: async () => body,
  } as unknown as Response);
}

function render(error: Error, language: string) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          appLanguageApiRef,
          mockApis.appLanguage({
            defaultLanguage: language,
            availableLanguages: ['en', 'ko'],
          }),
        ],
      ]}
    >
      <ReleaseErrorMessage error={error} />
    </TestApiProvider>,
  );
}

describe('ReleaseErrorMessage on a refusal outside the release windows', () => {
  // Three days ahead on the minute, so the relative part reads the same whenever the test runs.
  const opensAt = new Date(
    Math.floor((Date.now() + 3 * 24 * 3600_000) / 60_000) * 60_000,
  );
  // The reader's wall clock: the zone the tests run in, not Seoul's.
  const readerTime = `${String(opensAt.getHours()).padStart(2, '0')}:${String(
    opensAt.getMinutes(),
  ).padStart(2, '0')}`;

  it('reads the opening from the error body', async () => {
    expect(nextWindowOf(await windowRefusal(opensAt))).toEqual(opensAt);
    expect(nextWindowOf(new Error('Failed to fetch'))).toBeUndefined();
  });

  it("shows the backend's reason and the opening in the reader's zone, in English", async () => {
    await render(await windowRefusal(opensAt), 'en');
    expect(screen.getByRole('alert')).toHaveTextContent(
      'The next window opens Mon 7 Dec 10:00 Asia/Seoul',
    );
    const next = screen.getByTestId('kop-next-window').textContent;
    expect(next).toMatch(
      /^The next release window opens \w{3} \d{1,2} \w{3}, \d{2}:\d{2} \S+ your time \(in 3 days\)\.$/,
    );
    expect(next).toContain(readerTime);
  });

  it('writes the same opening the Korean way when Settings say ko', async () => {
    await render(await windowRefusal(opensAt), 'ko');
    // The test app's translations are English; the date and "in 3 days" follow the language.
    expect(screen.getByTestId('kop-next-window').textContent).toMatch(
      / \d{1,2}월 \d{1,2}일 \(.\) (오전|오후) \d{2}:\d{2} \S+ your time \(3일 후\)\.$/,
    );
  });

  it('adds nothing to other refusals', async () => {
    const body = JSON.stringify({
      error: { name: 'NotAllowedError', message: 'Only the author may move' },
      response: { statusCode: 403 },
    });
    const error = await ResponseError.fromResponse({
      status: 403,
      statusText: 'Forbidden',
      ok: false,
      headers: { get: () => 'application/json' },
      text: async () => body,
    } as unknown as Response);
    await render(error, 'en');
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Only the author may move',
    );
    expect(screen.queryByTestId('kop-next-window')).toBeNull();
  });
});
