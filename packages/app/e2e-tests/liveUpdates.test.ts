import { expect, test } from '@playwright/test';
import { bearerOf, createRelease, signInAs } from './kop';

test.use({ actionTimeout: 30_000 });

test('the author asks for approval on the page; the approver inbox and the author page follow each other without a reload', async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const viewport = { width: 1400, height: 2000 };
  const authorContext = await browser.newContext({ viewport });
  const approverContext = await browser.newContext({ viewport });
  const author = await authorContext.newPage();
  const approver = await approverContext.newPage();

  await signInAs(author, 'kim.minjun');
  const authorToken = await bearerOf(author, async () => {
    await author.goto('/releases');
  });
  const title = `e2e live ${Date.now()}`;
  const id = await createRelease(author, authorToken, title);

  // choi.yuna (hybris PL) has her inbox open before anyone asks her.
  await signInAs(approver, 'choi.yuna');
  await approver.goto('/releases/approvals');
  await expect(
    approver.getByText('Everything waiting for your decision'),
  ).toBeVisible();
  const pending = approver.getByTestId(`kop-pending-${id}-approval`);
  await expect(pending).toHaveCount(0);

  // The author sees who will be asked, then asks with the button.
  await author.goto(`/releases/${id}`);
  const ask = author.getByTestId('kop-request-approval');
  await expect(ask).toContainText('pl of the service');
  await ask.getByRole('button', { name: 'Ask for approval' }).click();
  await expect(author.getByTestId('kop-request-approval')).toHaveCount(0);
  await author.screenshot({
    path: testInfo.outputPath('1-author-asked.png'),
    fullPage: true,
  });

  // Her inbox shows it without a reload: the backend's signal reached her page.
  await expect(pending).toContainText(title, { timeout: 15_000 });
  await approver.screenshot({
    path: testInfo.outputPath('2-inbox-updated.png'),
    fullPage: true,
  });

  await pending.getByRole('link', { name: title }).click();
  const decision = approver
    .getByTestId('kop-release-approvals')
    .getByTestId('kop-decision-approval');
  await decision.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByTestId('kop-release-approvals')).toContainText(
    'approved by choi.yuna',
  );

  // The author's page, never reloaded, shows her approval.
  await expect(author.getByTestId('kop-release-approvals')).toContainText(
    'approved by choi.yuna',
    { timeout: 15_000 },
  );
  await author.screenshot({
    path: testInfo.outputPath('3-author-sees-approval.png'),
    fullPage: true,
  });

  await authorContext.close();
  await approverContext.close();
});
