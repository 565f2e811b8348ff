import { expect, test, type Page } from '@playwright/test';

// The sandbox the e2e run starts (playwright.config.ts), seeded with hybris deploy-2026-01-06 running
// on beta and deploy-2026-01-08 one merged MR ahead of it.
const sandbox = 'http://127.0.0.1:7100';
const asanaToken = 'asana-sandbox-token';
const seedMr = '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복';
const candidate = 'deploy-2026-01-08';

// A step that cannot find its element fails on its own, not at the end of the whole flow.
test.use({ actionTimeout: 30_000 });

async function signInAs(page: Page, user: string) {
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  await expect(page.getByRole('link', { name: 'Releases' })).toBeVisible();
}

/** The signed-in user's Backstage token, as the app sends it to the backend. */
async function bearerOf(page: Page, whileDoing: () => Promise<void>) {
  const request = page.waitForRequest(
    r => r.url().includes('/api/') && !!r.headers().authorization,
  );
  await whileDoing();
  return (await request).headers().authorization;
}

test('kim.minjun prepares a hybris beta release and lands on its page with its items and Asana task', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const shot = (name: string) =>
    page.screenshot({ path: testInfo.outputPath(name), fullPage: true });

  await signInAs(page, 'kim.minjun');
  const authorization = await bearerOf(page, async () => {
    await page.goto('/create');
  });

  const card = page
    .locator('.MuiCard-root')
    .filter({ hasText: '배포 준비 (Prepare a release)' });
  await card.getByTestId('template-card-actions--create').click();
  await expect(page).toHaveURL(
    /\/create\/templates\/default\/kop-prepare-release$/,
  );

  // Step 1: environment, app and version, newest first.
  await page.locator('#kop-environment').click();
  await page.getByRole('option', { name: 'beta', exact: true }).click();
  await page.getByRole('checkbox', { name: 'hybris' }).check();
  const version = page.locator('#kop-version-hybris');
  await expect(version).toBeEnabled();
  await version.click();
  const options = page.getByRole('option');
  await expect(options.first()).toContainText(candidate);
  await options.filter({ hasText: candidate }).first().click();
  await expect(version).toContainText(candidate);
  await shot('1-versions.png');
  await page.getByRole('button', { name: 'Next' }).click();

  // Step 2: the items, pre-filled from what ships.
  const ships = page.getByTestId('kop-ships-hybris');
  await expect(ships).toContainText(`hybris: deploy-2026-01-06 → ${candidate}`);
  await expect(ships).toContainText(seedMr);
  const itemTitles = page.getByRole('textbox', { name: 'Item title' });
  await expect(itemTitles).toHaveCount(1);
  await expect(itemTitles.first()).toHaveValue(seedMr);
  const mixedIn = page.getByTestId('kop-mixed-in');
  await expect(mixedIn).toHaveCount(0);

  // Removing the MR's item flags it as mixed in, and an empty list is refused.
  await page.getByRole('button', { name: 'Remove item' }).click();
  await expect(itemTitles).toHaveCount(0);
  await expect(mixedIn).toHaveCount(1);
  await expect(mixedIn).toHaveText('mixed in');
  await shot('2-mixed-in.png');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByText('changes.items: list at least one item that ships').first(),
  ).toBeVisible();

  // Back and forth proposes the items from what ships again.
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(version).toContainText(candidate);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(itemTitles).toHaveCount(1);
  await expect(itemTitles.first()).toHaveValue(seedMr);
  await expect(mixedIn).toHaveCount(0);
  await shot('3-items.png');
  await page.getByRole('button', { name: 'Next' }).click();

  // Step 3: the grade, at or above the floor the changes set (no DB change here).
  const floor = page.getByTestId('kop-grade-floor');
  await expect(floor).toContainText('Lowest grade for these changes: A');
  await page.getByRole('radio', { name: /^B / }).check();
  await expect(page.locator('#kop-grade-reason')).toHaveCount(0);
  await shot('4-grade.png');
  await page.getByRole('button', { name: 'Next' }).click();

  // Step 4: the announcement as it will be posted.
  const announcement = page.getByTestId('kop-announcement');
  await expect(announcement).toContainText(/^\[kop\] 배포합니다\./);
  await expect(announcement).toContainText(seedMr);
  await shot('5-preview.png');
  await page.getByRole('button', { name: 'Review' }).click();
  await shot('6-review.png');
  await page.getByRole('button', { name: 'Create' }).click();

  // The task runs create → Asana (the QA request waits for a beta deploy); its output links to the release page.
  await expect(page).toHaveURL(/\/create\/tasks\//);
  const releaseLink = page.getByRole('link', {
    name: '배포 페이지 (Release page)',
  });
  await expect(releaseLink).toBeVisible({ timeout: 120_000 });
  await shot('7-task.png');

  await releaseLink.click();
  await expect(page).toHaveURL(/\/releases\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  // The release page: its versions, its one item, and what ships with nothing mixed in.
  await expect(page.getByTestId('kop-release-page')).toBeVisible();
  await expect(
    page.getByText('prepared · grade B · by kim.minjun'),
  ).toBeVisible();
  await expect(page.getByTestId('kop-release-versions')).toContainText(
    candidate,
  );
  const items = page.getByTestId('kop-release-items').getByRole('listitem');
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(seedMr);
  await expect(items.first()).toContainText('kop/hybris!');
  const shipsToBeta = page.getByTestId('kop-release-ships-hybris');
  await expect(shipsToBeta).toContainText(seedMr);
  await expect(shipsToBeta.getByTestId('kop-mixed-in')).toHaveCount(0);
  await expect(page.getByTestId('kop-release-announcement')).toContainText(
    /^\[kop\] 배포합니다\./,
  );
  // The Asana task is made by the outbox after the form ends; its link appears on the page once recorded.
  const asanaLink = page
    .getByTestId('kop-release-links')
    .getByRole('link', { name: /^Asana\b/ });
  await expect(asanaLink).toBeVisible({ timeout: 60_000 });
  const asanaUrl = await asanaLink.getAttribute('href');
  // Where to follow it: the Argo CD link opens the app's page in the sandbox's Argo CD.
  const argocdBeta = page
    .getByTestId('kop-release-links-argocd-beta')
    .getByRole('link', { name: /^hybris-blue \(beta\)/ });
  await expect(argocdBeta).toBeVisible();
  const argocdUrl = await argocdBeta.getAttribute('href');
  const argocdPage = await page.request.get(argocdUrl!);
  expect(argocdPage.status()).toBe(200);
  expect(await argocdPage.text()).toContain('<h1>hybris-blue</h1>');
  await expect(
    page
      .getByTestId('kop-release-links-gitlab-all')
      .getByRole('link', { name: new RegExp(`^kop/hybris @ ${candidate}`) }),
  ).toBeVisible();
  await shot('8-release-page.png');

  // And as the backend stores it, read with the signed-in user's token.
  const response = await page.request.get(`/api/release/releases/${id}`, {
    headers: { authorization },
  });
  expect(response.status()).toBe(200);
  const release = await response.json();
  expect(release).toMatchObject({
    id,
    grade: 'B',
    minimumGrade: 'A',
    dbUpdate: false,
    author: 'user:default/kim.minjun',
    apps: [
      expect.objectContaining({
        app: 'hybris',
        version: candidate,
        steps: [3, 6, 9],
      }),
    ],
    items: [
      expect.objectContaining({
        title: seedMr,
        app: 'hybris',
        source: expect.objectContaining({ type: 'mr', project: 'kop/hybris' }),
      }),
    ],
  });

  // The Asana task, in the sandbox's Asana.
  const gid = asanaUrl?.match(/\/(\d+)\/?$/)?.[1];
  expect(gid, `task link ${asanaUrl}`).toBeTruthy();
  const task = await page.request.get(`${sandbox}/asana/api/1.0/tasks/${gid}`, {
    headers: { authorization: `Bearer ${asanaToken}` },
  });
  expect(task.status()).toBe(200);
  const { data } = await task.json();
  expect(data.gid).toBe(gid);
  expect(data.notes).toContain(seedMr);

  await page.goto(`${sandbox}/`);
  await expect(
    page
      .getByRole('row')
      .filter({ hasText: gid! })
      .filter({ hasText: data.name }),
  ).toBeVisible();
  await shot('9-sandbox.png');
});
