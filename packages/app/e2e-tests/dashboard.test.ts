import { expect, test } from '@playwright/test';
import {
  argocdToken,
  commitIacFile,
  expectAllRows,
  readIacFile,
  sandbox,
  signInAs,
  statusRow,
} from './kop';

test.use({ actionTimeout: 30_000 });

test('the dashboard turns green as the sandbox pods come up after a sync, without a reload', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1400, height: 1800 });
  const shot = (name: string) =>
    page.screenshot({ path: testInfo.outputPath(name), fullPage: true });

  await signInAs(page, 'choi.yuna');
  await page.goto('/releases');
  await expectAllRows(page);
  // Every navigation of the page is counted: the dashboard must change in place.
  let navigations = 0;
  page.on('framenavigated', frame => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await page.evaluate(() => {
    (window as unknown as { kopSameDocument: boolean }).kopSameDocument = true;
  });

  const web = statusRow(page, 'web', 'beta').getByTestId('argocd-web');
  const status = (kind: string, text: string) =>
    web.locator(`[data-status="${kind}"]`, { hasText: text });
  await expect(status('ok', 'Synced')).toBeVisible();
  await expect(status('ok', 'Healthy')).toBeVisible();
  // The app's name opens it in (the sandbox's stand-in for) the Argo CD UI.
  const argocdUrl = await web
    .getByRole('link', { name: 'web' })
    .getAttribute('href');
  expect(argocdUrl).toBe(`${sandbox}/argocd/beta/applications/web`);
  expect(await (await request.get(argocdUrl!)).text()).toContain(
    '<h1>web</h1>',
  );
  await shot('1-before.png');

  // One more web pod on beta, committed to the IaC repository: Argo CD sees it out of sync.
  const project = 'kop/kop-deploy-beta';
  const values = await readIacFile(request, project, 'web/values.yaml');
  const replicas = Number(values.match(/^replicaCount: (\d+)$/m)?.[1]);
  expect(replicas, 'web/values.yaml replicaCount').toBeGreaterThan(0);
  await commitIacFile(
    request,
    project,
    'web/values.yaml',
    values.replace(/^replicaCount: \d+$/m, `replicaCount: ${replicas + 1}`),
    `web: ${replicas + 1} replicas on beta (e2e dashboard)`,
  );
  await expect(status('warning', 'OutOfSync')).toBeVisible();
  await shot('2-out-of-sync.png');

  // The new pod starts ~20 s later (400 s at the e2e sandbox's time scale of 0.05), so Progressing
  // lasts long enough to see on a busy machine.
  const slow = (slowStartMs: number) =>
    request.post(`${sandbox}/argocd/_sandbox/beta/applications/web/faults`, {
      data: { slowStartMs },
    });
  expect((await slow(400_000)).status()).toBe(200);
  // Synced through Argo CD's API, as a person would from its UI.
  const synced = await request.post(
    `${sandbox}/argocd/beta/api/v1/applications/web/sync`,
    {
      headers: { authorization: `Bearer ${argocdToken}` },
      data: { revision: 'main', prune: false },
    },
  );
  expect(synced.status(), await synced.text()).toBe(200);

  // The new pod starts: Progressing, then Synced and Healthy with every replica up.
  await expect(status('running', 'Progressing')).toBeVisible();
  await expect(web).toContainText('Waiting for rollout to finish');
  await shot('3-progressing.png');
  await expect(status('ok', 'Synced')).toBeVisible();
  await expect(status('ok', 'Healthy')).toBeVisible({ timeout: 90_000 });
  expect((await slow(0)).status()).toBe(200);
  await expect(
    web.locator('[data-status]:not([data-status="ok"])'),
  ).toHaveCount(0);
  await shot('4-healthy.png');

  // Argo CD agrees, and the page never reloaded.
  const app = await request.get(
    `${sandbox}/argocd/beta/api/v1/applications/web`,
    { headers: { authorization: `Bearer ${argocdToken}` } },
  );
  expect((await app.json()).status).toMatchObject({
    sync: { status: 'Synced' },
    health: { status: 'Healthy' },
  });
  expect(navigations).toBe(0);
  expect(
    await page.evaluate(
      () =>
        (window as unknown as { kopSameDocument?: boolean }).kopSameDocument,
    ),
  ).toBe(true);
});
