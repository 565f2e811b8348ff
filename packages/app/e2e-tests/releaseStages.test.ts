import {
  expect,
  test,
  type APIRequestContext,
  type Page,
} from '@playwright/test';
import {
  bearerOf,
  createRelease,
  peoplesPages,
  pressDeploy,
  sandbox,
  seedMr,
  signInAs,
  signOffAs,
} from './kop';

test.use({ actionTimeout: 30_000 });

const slackToken = 'xoxb-sandbox-token';
const asana = {
  token: 'asana-sandbox-token',
  projectGid: '1200000000000010',
  fields: {
    grade: '1200000000000020',
    buildNumber: '1200000000000030',
    dbUpdate: '1200000000000040',
    state: '1200000000000050',
  },
};
/** release.notify.slack of app-config.yaml: grade B is shared with the team. */
const channels = {
  team: '#kop-release',
  core: '#kop-release-core',
  owners: '#kop-incident',
  qa: '#kop-qa',
  room: '#kop-release-room',
};

interface OutboxMessage {
  kind: string;
  audience: string;
  destination: string;
  summary: string;
  state: string;
}

/** Calls one Slack Web API method of the sandbox as the portal's bot. */
async function slack(
  request: APIRequestContext,
  method: string,
  params: Record<string, string>,
) {
  const response = await request.post(`${sandbox}/slack/api/${method}`, {
    form: { token: slackToken, ...params },
  });
  const body = await response.json();
  expect(body.ok, `${method}: ${JSON.stringify(body)}`).toBe(true);
  return body;
}

/** A channel's top-level messages, oldest first. */
async function channelTexts(request: APIRequestContext, channel: string) {
  const { messages } = await slack(request, 'conversations.history', {
    channel,
  });
  return (messages as Array<{ text: string }>).map(m => m.text).reverse();
}

/** A person's direct conversation with the bot (user:default/choi.yuna or an e-mail address). */
async function directTexts(request: APIRequestContext, person: string) {
  const email = person.includes('@')
    ? person
    : `${person.replace(/^user:(default\/)?/, '')}@kop.example`;
  const { user } = await slack(request, 'users.lookupByEmail', { email });
  const { channel } = await slack(request, 'conversations.open', {
    users: user.id,
  });
  return channelTexts(request, channel.id);
}

const firstLine = (text: string) => text.split('\n')[0];

/** The release as the backend serves it. */
async function readRelease(page: Page, authorization: string, id: string) {
  const response = await page.request.get(`/api/release/releases/${id}`, {
    headers: { authorization },
  });
  expect(response.status()).toBe(200);
  return response.json();
}

async function readMessages(
  page: Page,
  authorization: string,
  id: string,
): Promise<OutboxMessage[]> {
  const response = await page.request.get(
    `/api/release/releases/${id}/messages`,
    { headers: { authorization } },
  );
  expect(response.status()).toBe(200);
  return (await response.json()).items;
}

test('a release runs build → beta with the QA request and payment tests → approval → prod deploy → post-deploy tests → sign-off → final notice, and everyone is told once', async ({
  browser,
}, testInfo) => {
  test.setTimeout(480_000);
  const people = await peoplesPages(browser, 3, {
    width: 1400,
    height: 2600,
  });
  const [author, pl, superior] = people.pages;
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: testInfo.outputPath(name), fullPage: true });

  // kim.minjun prepares a grade B hybris release; its Asana task is made and linked as the form does.
  await signInAs(author, 'kim.minjun');
  const authorization = await bearerOf(author, async () => {
    await author.goto('/releases');
  });
  // The release room's announcements carry no release id: this release's are those posted after now.
  const roomBefore = (await channelTexts(author.request, channels.room)).length;
  const title = `e2e stages ${Date.now()}`;
  const id = await createRelease(author, authorization, title);
  const created = await author.request.post(`${sandbox}/asana/api/1.0/tasks`, {
    headers: { authorization: `Bearer ${asana.token}` },
    data: { data: { name: title, projects: [asana.projectGid] } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const task = (await created.json()).data as {
    gid: string;
    permalink_url: string;
  };
  const linked = await author.request.post(
    `/api/release/releases/${id}/links`,
    {
      headers: { authorization },
      data: { title: 'Asana', url: task.permalink_url },
    },
  );
  expect(linked.status(), await linked.text()).toBe(200);

  // Deploy to beta: the build is found or run first, then the beta steps, then the payment tests.
  await author.goto(`/releases/${id}`);
  const card = author.getByTestId('kop-deploy-controls');
  await expect(card).toHaveAttribute('data-release-state', 'prepared');
  const deployBeta = card.getByRole('button', { name: 'Deploy to beta' });
  await expect(deployBeta).toBeEnabled();
  await deployBeta.click();
  // The payment tests as the approvers see them beside the approval stage.
  const payment = author
    .getByTestId('kop-stage-approval')
    .getByTestId('kop-tests-payment');
  await expect(payment).toHaveAttribute('data-standing', 'passed', {
    timeout: 240_000,
  });
  await expect(card).toHaveAttribute('data-release-state', 'beta');
  for (const brand of ['ks', 'tc', 'g4'])
    await expect(payment).toContainText(brand);
  const builds = author.getByTestId('kop-release-builds');
  const afterBeta = await readRelease(author, authorization, id);
  const build = afterBeta.builds[0] as {
    app: string;
    buildNumber: number;
    result: string;
  };
  expect(build).toMatchObject({ app: 'hybris', result: 'success' });
  await expect(builds).toContainText(`#${build.buildNumber}`);
  await shot(author, '1-beta-done.png');

  // The QA room is asked once the beta run ended.
  await expect
    .poll(
      async () =>
        (
          await channelTexts(author.request, channels.qa)
        ).filter(t => t.includes(id)).length,
      { timeout: 60_000 },
    )
    .toBe(1);

  // The author asks for approval with the page's button; choi.yuna (PL) approves in her browser.
  await author
    .getByTestId('kop-request-approval')
    .getByRole('button', { name: 'Ask for approval' })
    .click();
  await expect(card).toHaveAttribute('data-release-state', 'awaiting_approval');
  await signInAs(pl, 'choi.yuna');
  await pl.goto(`/releases/${id}`);
  await pl
    .getByTestId('kop-decision-approval')
    .getByRole('button', { name: 'Approve' })
    .click();
  await expect(pl.getByTestId('kop-release-approvals')).toContainText(
    'approved by choi.yuna',
  );

  // The author presses Deploy; the prod steps run, then the post-deploy tests, then the sign-off waits.
  await pressDeploy(author, card);
  await expect(card).toHaveAttribute('data-release-state', 'awaiting_signoff', {
    timeout: 240_000,
  });
  const postDeploy = author
    .getByTestId('kop-stage-signoff')
    .getByTestId('kop-tests-post-deploy');
  await expect(postDeploy).toHaveAttribute('data-standing', 'passed');
  await shot(author, '2-awaiting-signoff.png');

  // seo.yeongho (superior) signs off in his browser; the switch, announcement and scale-down follow.
  await signOffAs(superior, 'seo.yeongho', id);
  await expect(card).toHaveAttribute('data-release-state', 'done', {
    timeout: 240_000,
  });

  // Every message of the release was sent, and the Messages card says so.
  await expect
    .poll(
      async () =>
        (await readMessages(author, authorization, id))
          .filter(m => m.state !== 'sent')
          .map(m => `${m.destination} ${m.state}: ${m.summary}`),
      { timeout: 90_000 },
    )
    .toEqual([]);
  const messages = await readMessages(author, authorization, id);
  // The closing note's list: who got what, first lines.
  // eslint-disable-next-line no-console
  console.log(
    [
      `Messages of release ${id} (${messages.length}):`,
      ...messages.map(m => `${m.destination} [${m.kind}]: ${m.summary}`),
    ].join('\n'),
  );
  await author.reload();
  const rows = author.getByTestId('kop-release-message');
  await expect(rows).toHaveCount(messages.length);
  for (const state of ['queued', 'retrying', 'failed']) {
    await expect(
      author.getByTestId('kop-release-messages').getByText(state, {
        exact: true,
      }),
    ).toHaveCount(0);
  }
  await shot(author, '3-done.png');

  // The announcement as the release's notes API renders it (release-common's renderAnnouncement).
  const notes = await author.request.get(`/api/release/releases/${id}/notes`, {
    headers: { authorization },
  });
  expect(notes.status()).toBe(200);
  const { announcement } = (await notes.json()) as { announcement: string };

  // Each Slack message arrived once, where the outbox says: the team (grade B), the QA room, the
  // release room, the approvers' direct messages; nothing went to the other grades' channels.
  const slackMessages = messages.filter(m => m.kind.startsWith('slack.'));
  const destinations = [...new Set(slackMessages.map(m => m.destination))];
  for (const destination of destinations) {
    const texts = destination.startsWith('#')
      ? await channelTexts(author.request, destination)
      : await directTexts(author.request, destination);
    const expected = slackMessages
      .filter(m => m.destination === destination)
      .map(m => m.summary);
    // This release's messages name its page; its announcement is what the room got since it began.
    const ours = (
      destination === channels.room
        ? texts.slice(roomBefore)
        : texts.filter(t => t.includes(id))
    ).map(firstLine);
    expect(ours.sort(), destination).toEqual([...expected].sort());
  }
  expect(destinations).toEqual(
    expect.arrayContaining([
      channels.team,
      channels.qa,
      channels.room,
      'user:default/choi.yuna',
    ]),
  );
  for (const other of [channels.core, channels.owners]) {
    expect(
      (await channelTexts(author.request, other)).filter(t => t.includes(id)),
      other,
    ).toEqual([]);
  }
  const teamTexts = (await channelTexts(author.request, channels.team)).filter(
    t => t.includes(id),
  );
  for (const said of [
    '배포 준비 (release prepared)',
    '승인 요청 (approval requested)',
    '승인 (approved) by choi.yuna',
    '[beta] 배포 시작 (deploy started)',
    '[prod] 배포 시작 (deploy started)',
    '결과 확인 (signed off) by seo.yeongho',
    '[beta] 전환 완료 (switched)',
    '[prod] 전환 완료 (switched)',
    '배포 완료 (done)',
  ]) {
    expect(
      teamTexts.filter(t => t.includes(said)),
      `${channels.team}: ${said}`,
    ).toHaveLength(1);
  }

  // The final announcement is the team's format, byte for byte, once in the release room.
  expect(announcement).toBe(
    [
      '[kop] 배포합니다.',
      '- 배포버전: hybris(deploy-2026-01-08)',
      '- 배포등급: B(낮음)',
      '- DB 업데이트 여부: N',
      '- 배포내역',
      `\t- ${seedMr.title}`,
    ].join('\n'),
  );
  expect(
    (await channelTexts(author.request, channels.room)).slice(roomBefore),
  ).toEqual([announcement]);

  // The Asana task: the fields, a comment per stage, completed at done.
  const asanaGet = (path: string) =>
    author.request.get(`${sandbox}/asana/api/1.0/tasks/${task.gid}${path}`, {
      headers: { authorization: `Bearer ${asana.token}` },
    });
  const taskNow = (await (await asanaGet('')).json()).data as {
    completed: boolean;
    custom_fields: Array<{
      gid: string;
      enum_value?: { name: string } | null;
      text_value?: string | null;
    }>;
  };
  expect(taskNow.completed).toBe(true);
  const field = (gid: string) => taskNow.custom_fields.find(f => f.gid === gid);
  expect(field(asana.fields.grade)?.enum_value?.name).toBe('B(낮음)');
  expect(field(asana.fields.dbUpdate)?.enum_value?.name).toBe('N');
  expect(field(asana.fields.buildNumber)?.text_value).toBe(
    String(build.buildNumber),
  );
  expect(field(asana.fields.state)?.text_value).toBe('done');
  const stories = (
    (await (await asanaGet('/stories')).json()).data as Array<{
      text: string;
    }>
  ).map(s => firstLine(s.text));
  const comments = messages
    .filter(m => m.kind === 'asana.comment')
    .map(m => m.summary);
  expect(stories.filter(s => comments.includes(s)).sort()).toEqual(
    [...comments].sort(),
  );
  for (const stage of [
    '빌드 (build) hybris',
    '베타 배포 완료 (deployed to beta)',
    '결제 테스트 (payment tests)',
    'QA 요청 (QA asked)',
    '승인 완료 (approved): choi.yuna',
    '배포 후 테스트 (post-deploy tests)',
    '[beta] 전환 완료 (switched)',
    '[prod] 전환 완료 (switched)',
    '배포 완료 (done)',
  ]) {
    expect(
      comments.filter(c => c.includes(stage)),
      `Asana comment ${stage}`,
    ).toHaveLength(1);
  }

  await people.close();
});
