import { screen, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { mockApis } from '@backstage/frontend-test-utils';
import { appLanguageApiRef } from '@backstage/core-plugin-api/alpha';
import { releaseApiRef, type ReleaseApi, type ReleaseMessage } from '../../api';
import ko from '../../translations/ko';
import { MessagesCard } from './MessagesCard';

const base = {
  releaseId: 'r-1',
  createdAt: '2026-01-07T01:00:00.000Z',
};

const messages: ReleaseMessage[] = [
  {
    ...base,
    id: 'm-1',
    kind: 'slack.post',
    audience: 'team',
    destination: '#kop-release',
    summary: '[kop] 배포 준비 (release prepared): 2026.01.08 hybris',
    urgent: false,
    state: 'sent',
    attempts: 1,
    sentAt: '2026-01-07T01:00:01.000Z',
  },
  {
    ...base,
    id: 'm-2',
    kind: 'slack.direct',
    audience: 'on-call',
    destination: 'user:default/han.jisoo',
    summary: '🚨 [긴급 urgent] [kop] [prod] deploy paused at hybris.scale-up.3',
    urgent: true,
    state: 'retrying',
    attempts: 2,
    lastError: 'Slack: chat.postMessage failed (HTTP 503): unexpected answer',
    nextAttemptAt: '2026-01-07T01:01:00.000Z',
  },
  {
    ...base,
    id: 'm-3',
    kind: 'asana.comment',
    audience: 'asana',
    destination: 'asana task 1200000000000777',
    summary: '승인 완료 (approved): choi.yuna',
    urgent: false,
    state: 'failed',
    attempts: 1,
    lastError: 'Asana: add comment failed (HTTP 404): task not found',
  },
  {
    ...base,
    id: 'm-4',
    kind: 'slack.post',
    audience: 'qa',
    destination: '#kop-qa',
    summary: '[kop] 베타 배포 완료, QA 요청드립니다.',
    urgent: false,
    state: 'queued',
    attempts: 0,
    nextAttemptAt: '2026-01-07T01:00:00.000Z',
  },
];

function render(language: string, items = messages) {
  const api = {
    getMessages: jest.fn(async () => ({ items })),
  } as unknown as ReleaseApi;
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [releaseApiRef, api],
        [
          appLanguageApiRef,
          mockApis.appLanguage({
            defaultLanguage: language,
            availableLanguages: ['en', 'ko'],
          }),
        ],
      ]}
    >
      <MessagesCard id="r-1" revision={3} />
    </TestApiProvider>,
  );
}

const rows = async () =>
  (await screen.findAllByTestId('kop-release-message')).map(row =>
    within(row)
      .getAllByRole('cell')
      .map(cell => cell.textContent),
  );

describe('MessagesCard', () => {
  it('shows each message with its audience, channel, text and delivery state in English', async () => {
    await render('en');
    const shown = await rows();
    expect(shown.map(cells => cells[0])).toEqual([
      'team#kop-release',
      'on call urgenthan.jisoo',
      'Asanaasana task 1200000000000777',
      'QA room#kop-qa',
    ]);
    expect(shown.map(cells => cells[1])).toEqual(messages.map(m => m.summary));
    expect(shown[0][2]).toMatch(/^sentsent /);
    expect(shown[1][2]).toMatch(
      /^retrying2 triesSlack: chat\.postMessage failed \(HTTP 503\): unexpected answernext try /,
    );
    expect(shown[2][2]).toBe(
      'failed1 triesAsana: add comment failed (HTTP 404): task not found',
    );
    expect(shown[3][2]).toBe('queued');
  });

  it('has Korean for its words: the states and the audiences', () => {
    const words = Object.entries(ko).filter(([key]) =>
      key.startsWith('releasePage.messages.'),
    );
    expect(Object.fromEntries(words)).toMatchObject({
      'releasePage.messages.title': '메시지',
      'releasePage.messages.states.queued': '대기 중',
      'releasePage.messages.states.sent': '보냄',
      'releasePage.messages.states.retrying': '다시 시도 중',
      'releasePage.messages.states.failed': '실패',
      'releasePage.messages.audiences.core-service-pls': '핵심 서비스 PL 이상',
      'releasePage.messages.audiences.on-call': '비상 연락',
    });
    expect(
      words.every(([, text]) => !/^[a-z -]+$/.test(text) || text === 'Asana'),
    ).toBe(true);
  });

  it('says when nothing was sent yet', async () => {
    await render('en', []);
    expect(
      await screen.findByText('No message sent or waiting yet.'),
    ).toBeInTheDocument();
  });
});
