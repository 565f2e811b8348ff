import { expect, test, type Locator } from '@playwright/test';
import { bearerOf, createReleaseAwaitingApproval, signInAs } from './kop';

// A step that cannot find its element fails on its own, not at the end of the whole flow.
test.use({ actionTimeout: 30_000 });

/** The audit trail's rows for one action by one person, by their cells. */
function auditRows(audit: Locator, actor: string, action: string) {
  return audit
    .getByRole('row')
    .filter({
      has: audit.page().getByRole('cell', { name: actor, exact: true }),
    })
    .filter({
      has: audit.page().getByRole('cell', { name: action, exact: true }),
    });
}

test('the author cannot approve his own release, the PL can, and the audit trail shows both attempts', async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  // Tall windows: the page scrolls inside the app, so a full-page screenshot is the window.
  const viewport = { width: 1400, height: 2000 };
  const authorContext = await browser.newContext({ viewport });
  const approverContext = await browser.newContext({ viewport });
  const author = await authorContext.newPage();
  const approver = await approverContext.newPage();

  // kim.minjun (hybris developer) creates a grade B hybris release and asks for approval.
  await signInAs(author, 'kim.minjun');
  const authorToken = await bearerOf(author, async () => {
    await author.goto('/releases');
  });
  const title = `e2e approvals ${testInfo.workerIndex}-${Date.now()}`;
  const id = await createReleaseAwaitingApproval(author, authorToken, title);

  // On the release page the author sees Approve and Reject disabled, and why.
  await author.goto(`/releases/${id}`);
  await expect(author.getByTestId('kop-release-page')).toBeVisible();
  const authorDecision = author
    .getByTestId('kop-release-approvals')
    .getByTestId('kop-decision-approval');
  await expect(
    authorDecision.getByRole('button', { name: 'Approve' }),
  ).toBeDisabled();
  await expect(
    authorDecision.getByRole('button', { name: 'Reject' }),
  ).toBeDisabled();
  await expect(authorDecision.getByTestId('kop-decision-refusal')).toHaveText(
    'You are the author of this release: someone else must approve it.',
  );
  await author.screenshot({
    path: testInfo.outputPath('1-author-cannot-approve.png'),
    fullPage: true,
  });

  // The backend refuses the author's approval all the same, and nothing changes.
  const refused = await author.request.post(
    `/api/release/releases/${id}/approvals`,
    {
      headers: { authorization: authorToken },
      data: { decision: 'approve', stage: 'approval' },
    },
  );
  expect([403, 409]).toContain(refused.status());
  const stillWaiting = await author.request.get(`/api/release/releases/${id}`, {
    headers: { authorization: authorToken },
  });
  expect(await stillWaiting.json()).toMatchObject({
    state: 'awaiting_approval',
    approvals: [],
  });

  // choi.yuna (hybris PL) finds it in her inbox and approves it on its page.
  await signInAs(approver, 'choi.yuna');
  await approver.goto('/releases/approvals');
  const pending = approver.getByTestId(`kop-pending-${id}-approval`);
  await expect(pending).toContainText(title);
  await expect(pending).toContainText('by kim.minjun');
  await pending.getByRole('link', { name: title }).click();
  await expect(approver).toHaveURL(new RegExp(`/releases/${id}$`));
  const approverDecision = approver
    .getByTestId('kop-release-approvals')
    .getByTestId('kop-decision-approval');
  const approve = approverDecision.getByRole('button', { name: 'Approve' });
  await expect(approve).toBeEnabled();
  await expect(
    approverDecision.getByTestId('kop-decision-refusal'),
  ).toHaveCount(0);
  await approverDecision
    .getByRole('textbox', { name: 'Comment' })
    .fill('Checked on beta');
  await approve.click();

  // The page reads the release again: approved by her, nothing left to decide.
  const approvalsCard = approver.getByTestId('kop-release-approvals');
  await expect(approvalsCard).toContainText('approved by choi.yuna');
  await expect(approvalsCard).toContainText(
    /choi\.yuna \(pl\) approved, .*: Checked on beta/,
  );
  await expect(approver.getByTestId('kop-decision-approval')).toHaveCount(0);

  // Both attempts are in the trail on the page: the author's refused, hers done.
  const audit = approver.getByTestId('kop-release-audit');
  const authorAttempt = auditRows(audit, 'kim.minjun', 'release.approve');
  await expect(authorAttempt).toHaveCount(1);
  await expect(authorAttempt).toContainText('refused');
  const approval = auditRows(audit, 'choi.yuna', 'release.approve');
  await expect(approval).toHaveCount(1);
  await expect(approval).toContainText('done');
  await expect(approval).toContainText(/awaiting[ _]approval → approved/i);
  await approver.screenshot({
    path: testInfo.outputPath('2-pl-approved.png'),
    fullPage: true,
  });

  // The author, reloading, sees the same trail and no buttons any more.
  await author.reload();
  const authorAudit = author.getByTestId('kop-release-audit');
  await expect(
    auditRows(authorAudit, 'kim.minjun', 'release.approve'),
  ).toContainText('refused');
  await expect(
    auditRows(authorAudit, 'choi.yuna', 'release.approve'),
  ).toContainText('done');
  await expect(author.getByTestId('kop-decision-approval')).toHaveCount(0);
  await author.screenshot({
    path: testInfo.outputPath('3-author-sees-trail.png'),
    fullPage: true,
  });

  await authorContext.close();
  await approverContext.close();
});
