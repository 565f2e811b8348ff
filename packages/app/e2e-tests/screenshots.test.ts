import { expect, test, type Page } from '@playwright/test';
import {
  bearerOf,
  createReleaseAwaitingApproval,
  expectAllRows,
  signInAs,
  statusRow,
} from './kop';

test.use({ actionTimeout: 30_000 });

type Language = 'en' | 'ko';

/** A text each page shows only in that language: proof the switch reached the page. */
const texts: Record<Language, Record<string, string>> = {
  en: {
    language: 'English',
    newRelease: 'New release',
    audit: 'Audit trail',
    inbox: 'Everything waiting for your decision',
    setup: 'Setup check',
    changeConfig: 'Change config',
    versions: 'Apps and versions',
  },
  ko: {
    language: '한국어',
    newRelease: '새 배포',
    audit: '감사 기록',
    inbox: '내 결정을 기다리는 배포',
    setup: '설정 점검',
    changeConfig: '설정 변경',
    versions: '앱과 버전',
  },
};

/** Switches the language on the Settings page, as a person does; the app keeps it in localStorage. */
async function chooseLanguage(page: Page, language: Language) {
  await page.goto('/settings');
  const other = language === 'en' ? 'ko' : 'en';
  const select = page.getByRole('button', {
    name: new RegExp(
      `^(${texts[other].language}|${texts[language].language})$`,
    ),
  });
  await select.click();
  await page
    .getByRole('option', { name: texts[language].language, exact: true })
    .click();
  await expect(select).toHaveText(texts[language].language);
  expect(
    await page.evaluate(() => window.localStorage.getItem('language')),
  ).toBe(language);
}

test('every page in English and in Korean, kept as screenshots', async ({
  browser,
}, testInfo) => {
  test.setTimeout(240_000);
  // Tall enough for every dashboard row: the app scrolls inside its own pane, not the page.
  const viewport = { width: 1400, height: 1800 };

  // A release waiting for choi.yuna, so the release page and her inbox have something to show.
  const authorContext = await browser.newContext({ viewport });
  const author = await authorContext.newPage();
  await signInAs(author, 'kim.minjun');
  const authorization = await bearerOf(author, async () => {
    await author.goto('/releases');
  });
  const title = `e2e screenshots ${Date.now()}`;
  const id = await createReleaseAwaitingApproval(author, authorization, title);
  await authorContext.close();

  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await signInAs(page, 'choi.yuna');

  for (const language of ['en', 'ko'] as const) {
    const text = texts[language];
    const shot = (name: string) =>
      page.screenshot({
        path: testInfo.outputPath(`${language}-${name}.png`),
        fullPage: true,
      });
    await chooseLanguage(page, language);
    await shot('settings');

    await page.goto('/releases');
    await expectAllRows(page, language);
    await expect(
      page.getByRole('link', { name: text.newRelease }),
    ).toHaveAttribute('href', /\/create\//);
    // In her pending approvals and among the open releases.
    await expect(page.getByRole('link', { name: title })).toHaveCount(2);
    await shot('dashboard');

    await page.goto(`/releases/${id}`);
    await expect(page.getByTestId('kop-release-page')).toBeVisible();
    await expect(page.getByText(text.audit, { exact: true })).toBeVisible();
    await expect(page.getByTestId('kop-release-audit')).toBeVisible();
    await expect(page.getByTestId('kop-release-announcement')).not.toBeEmpty();
    await expect(page.getByTestId('kop-release-ships-hybris')).toBeVisible();
    await shot('release');

    await page.goto('/releases/approvals');
    await expect(page.getByText(text.inbox)).toBeVisible();
    await expect(page.getByTestId(`kop-pending-${id}-approval`)).toBeVisible();
    await shot('approvals');

    await page.goto('/releases/setup');
    await expect(page.getByText(text.setup).first()).toBeVisible();
    await expect(page.locator('[data-testid^="check-"]').first()).toBeVisible({
      timeout: 60_000,
    });
    await shot('setup');

    await page.goto('/catalog/default/component/hybris/deploy');
    await expect(statusRow(page, 'hybris', 'prod', language)).toBeVisible();
    await expect(
      page.getByRole('link', { name: text.changeConfig }),
    ).toHaveAttribute('href', /\/create\//);
    await shot('deploy-tab');

    await page.goto('/create/templates/default/kop-prepare-release');
    await expect(page.locator('#kop-environment')).toBeVisible();
    await expect(page.getByText(text.versions).first()).toBeVisible();
    await shot('prepare-release');
  }
  await context.close();
});
