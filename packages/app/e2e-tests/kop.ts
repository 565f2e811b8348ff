import {
  expect,
  type APIRequestContext,
  type Browser,
  type Locator,
  type Page,
} from '@playwright/test';

/** The sandbox the e2e run starts (playwright.config.ts). */
export const sandbox = 'http://127.0.0.1:7100';
/** The sandbox GitLab's maintainer token and its Argo CD token (sandbox-only values). */
export const gitlabToken = 'glpat-kop-sandbox-release-bot';
export const argocdToken = 'argocd-sandbox-token';

/** The sandbox's merged hybris MR between deploy-2026-01-06 and deploy-2026-01-08. */
export const seedMr = {
  title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
  iid: 4,
};

/** The apps and environments the dashboard shows one row each for. */
export const apps = ['hybris', 'cms', 'web'] as const;
export const environments = ['beta', 'prod'] as const;

export async function signInAs(page: Page, user: string) {
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  await expect(page.getByRole('link', { name: 'Releases' })).toBeVisible();
}

/** A browser context of its own per person (its own sign-in), closed together at the end. */
export async function peoplesPages(
  browser: Browser,
  count: number,
  viewport: { width: number; height: number },
) {
  const contexts = await Promise.all(
    Array.from({ length: count }, () => browser.newContext({ viewport })),
  );
  const pages = await Promise.all(contexts.map(c => c.newPage()));
  return {
    pages,
    close: () => Promise.all(contexts.map(c => c.close())),
  };
}

/** Presses the Deploy card's Deploy (prod) and confirms the dialog when one asks. */
export async function pressDeploy(page: Page, card: Locator) {
  await expect(card).toHaveAttribute('data-release-state', 'approved');
  const deploy = card.getByRole('button', { name: 'Deploy', exact: true });
  await expect(deploy).toBeEnabled();
  await deploy.click();
  const confirm = page.getByTestId('deploy-dialog-confirm');
  if (await confirm.isVisible().catch(() => false)) await confirm.click();
}

/** A superior signs off the release on its page in their own browser. */
export async function signOffAs(page: Page, user: string, releaseId: string) {
  await signInAs(page, user);
  await page.goto(`/releases/${releaseId}`);
  await page
    .getByTestId('kop-decision-signoff')
    .getByRole('button', { name: 'Approve' })
    .click();
}

/** The signed-in user's Backstage token, as the app sends it to the backend. */
export async function bearerOf(
  page: Page,
  whileDoing: () => Promise<void>,
): Promise<string> {
  const request = page.waitForRequest(
    r => r.url().includes('/api/') && !!r.headers().authorization,
  );
  await whileDoing();
  return (await request).headers().authorization;
}

/** One app's live status row in one environment (AppStatusRow's group), named as each language does. */
export function statusRow(
  page: Page,
  app: string,
  environment: string,
  language: 'en' | 'ko' = 'en',
) {
  const name =
    language === 'ko' ? `${environment}의 ${app}` : `${app} in ${environment}`;
  return page.getByRole('group', { name, exact: true });
}

/** Waits until the dashboard shows a row for every app in every environment. */
export async function expectAllRows(page: Page, language: 'en' | 'ko' = 'en') {
  for (const app of apps) {
    for (const environment of environments) {
      await expect(statusRow(page, app, environment, language)).toBeVisible();
    }
  }
}

/** Creates a prepared grade B hybris release as the signed-in author. */
export async function createRelease(
  page: Page,
  authorization: string,
  title: string,
): Promise<string> {
  const created = await page.request.post('/api/release/releases', {
    headers: { authorization },
    data: {
      title,
      grade: 'B',
      dbUpdate: false,
      apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
      items: [
        {
          title: seedMr.title,
          app: 'hybris',
          source: { type: 'mr', project: 'kop/hybris', iid: seedMr.iid },
        },
      ],
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  return (await created.json()).id;
}

/** Creates a grade B hybris release as the signed-in author and asks for its approval. */
export async function createReleaseAwaitingApproval(
  page: Page,
  authorization: string,
  title: string,
): Promise<string> {
  const id = await createRelease(page, authorization, title);
  const requested = await page.request.post(
    `/api/release/releases/${id}/request-approval`,
    { headers: { authorization } },
  );
  expect(requested.status(), await requested.text()).toBe(200);
  expect((await requested.json()).state).toBe('awaiting_approval');
  return id;
}

/** Reads a file of the sandbox's IaC repository on main. */
export async function readIacFile(
  request: APIRequestContext,
  project: string,
  path: string,
): Promise<string> {
  const response = await request.get(
    `${sandbox}/gitlab/api/v4/projects/${encodeURIComponent(
      project,
    )}/repository/files/${encodeURIComponent(path)}/raw?ref=main`,
    { headers: { 'private-token': gitlabToken } },
  );
  expect(response.status(), `GitLab read of ${project}:${path}`).toBe(200);
  return response.text();
}

/** Commits one changed file to main of the sandbox's IaC repository, as a person would. */
export async function commitIacFile(
  request: APIRequestContext,
  project: string,
  path: string,
  content: string,
  message: string,
) {
  const response = await request.post(
    `${sandbox}/gitlab/api/v4/projects/${encodeURIComponent(
      project,
    )}/repository/commits`,
    {
      headers: { 'private-token': gitlabToken },
      data: {
        branch: 'main',
        commit_message: message,
        actions: [{ action: 'update', file_path: path, content }],
      },
    },
  );
  expect(response.status(), `GitLab commit to ${project}:${path}`).toBe(201);
  return response.json();
}
