import { expect, test, type APIRequestContext } from '@playwright/test';
import {
  bearerOf,
  createRelease,
  gitlabToken,
  peoplesPages,
  pressDeploy,
  sandbox,
  signInAs,
  signOffAs,
} from './kop';

test.use({ actionTimeout: 30_000 });

const PROD_IAC = 'kop/kop-deploy-prod';

interface ClusterStatus {
  expectedNodes: number;
  viewSize: number;
  complete: boolean;
}

/** What one hybris colour runs in prod, as the sandbox's pods answer (none up: 0). */
async function colourNodes(
  request: APIRequestContext,
  colour: string,
): Promise<ClusterStatus> {
  const response = await request.get(
    `${sandbox}/hybris/prod/${colour}/cluster/status`,
  );
  if (response.status() === 503) {
    return { expectedNodes: 0, viewSize: 0, complete: true };
  }
  expect(response.status()).toBe(200);
  return response.json();
}

/** Samples both colours until stopped, keeping each complete view size when it changes. */
function watchColours(request: APIRequestContext, colours: string[]) {
  const seen: Record<string, number[]> = Object.fromEntries(
    colours.map(c => [c, []]),
  );
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const colour of colours) {
        const s = await colourNodes(request, colour);
        const last = seen[colour][seen[colour].length - 1];
        if (s.complete && s.viewSize === s.expectedNodes && last !== s.viewSize)
          seen[colour].push(s.viewSize);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The prod IaC repository's commits on main, newest first. */
async function iacCommits(request: APIRequestContext) {
  const response = await request.get(
    `${sandbox}/gitlab/api/v4/projects/${encodeURIComponent(
      PROD_IAC,
    )}/repository/commits?ref_name=main&per_page=100`,
    { headers: { 'private-token': gitlabToken } },
  );
  expect(response.status()).toBe(200);
  return (await response.json()) as Array<{ id: string; message: string }>;
}

test('Deploy runs the approved plan: the idle colour 3 → 6 → 9, sign-off in a second browser, the switch, the old colour down 3 at a time, one commit per change', async ({
  browser,
}, testInfo) => {
  test.setTimeout(420_000);
  const people = await peoplesPages(browser, 3, {
    width: 1400,
    height: 2200,
  });
  const [author, pl, superior] = people.pages;

  // kim.minjun prepares a grade B hybris release and asks for approval with the page's button.
  await signInAs(author, 'kim.minjun');
  const authorization = await bearerOf(author, async () => {
    await author.goto('/releases');
  });
  const title = `e2e deploy ${Date.now()}`;
  const id = await createRelease(author, authorization, title);
  await author.goto(`/releases/${id}`);
  const card = author.getByTestId('kop-deploy-controls');
  await expect(card.getByTestId('deploy-plan')).toBeVisible();
  const planResponse = await author.request.get(
    `/api/release/releases/${id}/plan?environment=prod`,
    { headers: { authorization } },
  );
  expect(planResponse.status(), await planResponse.text()).toBe(200);
  const plan = await planResponse.json();
  const { live, idle } = plan.hybris as { live: string; idle: string };
  await author.getByRole('button', { name: 'Ask for approval' }).click();
  await expect(card).toHaveAttribute('data-release-state', 'awaiting_approval');
  // A prepared release shows its beta plan; once approval is asked, the card shows the prod plan.
  await expect(card.getByTestId('deploy-plan-fingerprint')).toContainText(
    plan.fingerprint.slice(0, 12),
  );
  // Git changes and direct calls are kept apart; this plan is hybris only: commits and a wait.
  await expect(
    card.getByTestId(`deploy-plan-step-${plan.steps[0].id}`),
  ).toBeVisible();

  // choi.yuna (PL) sees the plan's fingerprint beside Approve and approves that plan.
  await signInAs(pl, 'choi.yuna');
  await pl.goto(`/releases/${id}`);
  const decision = pl.getByTestId('kop-decision-approval');
  await expect(decision.getByTestId('kop-decision-fingerprint')).toContainText(
    plan.fingerprint.slice(0, 12),
  );
  await decision.getByRole('button', { name: 'Approve' }).click();
  await expect(pl.getByTestId('kop-release-approvals')).toContainText(
    'approved by choi.yuna',
  );

  // The author presses Deploy and only watches.
  const colours = watchColours(author.request, [live, idle]);
  const before = await colourNodes(author.request, live);
  await pressDeploy(author, card);

  // The idle colour rises step by step, each step passing its gate, and the run waits for the sign-off.
  await expect(card).toHaveAttribute('data-release-state', 'awaiting_signoff', {
    timeout: 240_000,
  });
  await author.screenshot({
    path: testInfo.outputPath('1-awaiting-signoff.png'),
    fullPage: true,
  });
  expect(colours.seen[idle].filter(n => n > 0)).toEqual([3, 6, 9]);
  await expect(card.getByTestId('deploy-two-versions')).toBeVisible();

  // A superior signs off in a second browser; the author's page follows without a reload.
  await signOffAs(superior, 'seo.yeongho', id);

  await expect(card).toHaveAttribute('data-release-state', 'done', {
    timeout: 240_000,
  });
  await colours.stop();
  await author.screenshot({
    path: testInfo.outputPath('2-done.png'),
    fullPage: true,
  });

  // The old colour went down 3 at a time to 0, after the switch; the new one kept its 9.
  const down = colours.seen[live];
  expect(down[0]).toBe(before.viewSize);
  expect(down.slice(1)).toEqual(
    Array.from(
      { length: before.viewSize / 3 },
      (_, i) => before.viewSize - 3 * (i + 1),
    ),
  );
  expect((await colourNodes(author.request, idle)).viewSize).toBe(9);

  // One commit per logical change, each with the release notes and its Release-Step.
  const run = (
    await (
      await author.request.get(`/api/release/releases/${id}/deploy`, {
        headers: { authorization },
      })
    ).json()
  ).runs[0];
  const gitSteps: string[] = run.plan.steps
    .filter((s: { kind: string; git?: { diff: string } }) => s.kind === 'git')
    .map((s: { id: string }) => s.id);
  const ours = (await iacCommits(author.request)).filter(c =>
    c.message.includes(`Release-Id: ${id}`),
  );
  const stepsCommitted = ours.map(
    c => /Release-Step: (\S+)/.exec(c.message)?.[1],
  );
  expect(stepsCommitted.sort()).toEqual([...gitSteps].sort());
  for (const commit of ours) {
    expect(commit.message).toContain('[kop]');
    expect(commit.message).toContain('hybris');
  }

  // The audit trail is intact.
  const verify = await author.request.get('/api/release/audit/verify', {
    headers: { authorization },
  });
  expect(verify.status()).toBe(200);
  expect(await verify.json()).toMatchObject({ ok: true });

  await people.close();
});
