import { act, screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { mockApis } from '@backstage/frontend-test-utils';
import { appLanguageApiRef } from '@backstage/core-plugin-api/alpha';
import { releaseApiRef } from '../api';
import { rootRouteRef } from '../routes';
import {
  fakeReleaseApi,
  releaseFixture,
} from '../__testUtils__/releaseFixtures';
import { createFormatters, localeOf } from './formatters';
import { ReleaseTable } from './ReleaseTable';

// Noon UTC is the same calendar day from UTC−11 to UTC+11, wherever the tests run.
const createdAt = '2026-11-25T12:00:00.000Z';
const korean = /^2026\. 11\. 25\. (오전|오후) \d{1,2}:\d{2}$/;
const english = /^25 Nov 2026, \d{2}:\d{2}$/;

describe('formatters', () => {
  it('write Korean for ko and British English for en, whatever the machine speaks', () => {
    expect(localeOf('ko')).toBe('ko-KR');
    expect(localeOf('en')).toBe('en-GB');
    const utc = { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' };
    const ko = createFormatters('ko-KR');
    const en = createFormatters('en-GB');
    expect(ko.formatDateTime(createdAt, utc as never)).toBe(
      '2026. 11. 25. 오후 12:00',
    );
    expect(en.formatDateTime(createdAt, utc as never)).toBe(
      '25 Nov 2026, 12:00',
    );
    expect(ko.formatNumber(1234.5)).toBe('1,234.5');
    expect(createFormatters('de-DE').formatNumber(1234.5)).toBe('1.234,5');
  });

  it('say how far a moment is in words of the language', () => {
    const now = Date.parse('2026-12-04T03:00:00Z');
    const opens = '2026-12-07T01:00:00Z';
    expect(createFormatters('en-GB').formatRelative(opens, now)).toBe(
      'in 3 days',
    );
    expect(createFormatters('ko-KR').formatRelative(opens, now)).toBe('3일 후');
    expect(
      createFormatters('en-GB').formatRelative('2026-12-04T02:15:00Z', now),
    ).toBe('45 minutes ago');
  });
});

describe('durations', () => {
  it('write the two largest units in the language, seconds at least', () => {
    const en = createFormatters('en-GB');
    const ko = createFormatters('ko-KR');
    expect(en.formatDuration(1_657_000)).toBe('27 mins 37 secs');
    expect(ko.formatDuration(1_657_000)).toBe('27분 37초');
    expect(en.formatDuration(3_900_000)).toBe('1 hr 5 mins');
    expect(ko.formatDuration(3_900_000)).toBe('1시간 5분');
    expect(en.formatDuration(120_000)).toBe('2 mins');
    expect(en.formatDuration(400)).toBe('0 secs');
    expect(en.formatDuration(-5_000)).toBe('0 secs');
  });
});

describe('dates on the release pages', () => {
  async function renderTable(
    language: ReturnType<typeof mockApis.appLanguage>,
  ) {
    const api = fakeReleaseApi({
      listReleases: jest.fn(async () => ({
        items: [releaseFixture({ createdAt })],
      })),
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [releaseApiRef, api],
          [appLanguageApiRef, language],
        ]}
      >
        <ReleaseTable emptyTitle="none" emptyDescription="none" />
      </TestApiProvider>,
      { mountedRoutes: { '/releases': rootRouteRef } },
    );
    await screen.findByRole('link', { name: '2026.11.25 hybris, web' });
    return () => screen.getByRole('row', { name: /2026\.11\.25 hybris/ });
  }

  const createdCell = (row: HTMLElement) =>
    row.querySelectorAll('td')[5].textContent ?? '';

  it('writes the same moment in the language chosen in Settings, and follows a change', async () => {
    const language = mockApis.appLanguage({
      defaultLanguage: 'ko',
      availableLanguages: ['en', 'ko'],
    });
    const row = await renderTable(language);
    const inKorean = createdCell(row());
    expect(inKorean).toMatch(korean);

    act(() => language.setLanguage('en'));
    const inEnglish = createdCell(row());
    expect(inEnglish).toMatch(english);
    expect(inEnglish).not.toBe(inKorean);
  });

  it('writes English when the app starts in English', async () => {
    const row = await renderTable(
      mockApis.appLanguage({
        defaultLanguage: 'en',
        availableLanguages: ['en', 'ko'],
      }),
    );
    expect(createdCell(row())).toMatch(english);
  });
});
