import { expect, test, type Page } from '@playwright/test';

async function signInAs(page: Page, user: string) {
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  await expect(page.getByRole('link', { name: 'Releases' })).toBeVisible();
}

test('a demo user signs in, opens /releases and the hybris Deploy tab', async ({
  page,
}, testInfo) => {
  await page.goto('/');
  await expect(
    page.getByRole('button', { name: 'Sign in as choi.yuna' }),
  ).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('sign-in.png') });

  await signInAs(page, 'choi.yuna');

  await page.getByRole('link', { name: 'Releases' }).click();
  await expect(page).toHaveURL(/\/releases$/);
  // Other e2e files create releases in the same backend: assert what every state shows.
  await expect(page.getByRole('link', { name: 'New release' })).toBeVisible();
  await expect(
    page.getByText('Release backend connected: kop (beta → prod)'),
  ).toBeVisible();
  await page.screenshot({
    path: testInfo.outputPath('releases.png'),
    fullPage: true,
  });

  await page.goto('/catalog/default/component/hybris');
  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Deploy' })
    .click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/hybris\/deploy$/,
  );
  await expect(page.getByRole('link', { name: 'Change config' })).toBeVisible();
  await page.screenshot({
    path: testInfo.outputPath('hybris-deploy.png'),
    fullPage: true,
  });
});

test('two people sign in side by side in separate browser contexts', async ({
  browser,
}) => {
  const author = await browser.newContext();
  const approver = await browser.newContext();
  const authorPage = await author.newPage();
  const approverPage = await approver.newPage();
  await signInAs(authorPage, 'kim.minjun');
  await signInAs(approverPage, 'choi.yuna');

  for (const [page, displayName] of [
    [authorPage, '김민준 Kim Minjun'],
    [approverPage, '최유나 Choi Yuna'],
  ] as const) {
    await page.goto('/settings');
    await expect(
      page.getByRole('heading', { name: `User Entity: ${displayName}` }),
    ).toBeVisible();
  }
  await author.close();
  await approver.close();
});
