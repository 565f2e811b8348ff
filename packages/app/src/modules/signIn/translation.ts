import {
  createTranslationMessages,
  createTranslationRef,
} from '@backstage/core-plugin-api/alpha';

export const signInTranslationRef = createTranslationRef({
  id: 'kop-sign-in',
  messages: {
    title: 'kop release portal',
    subtitle: 'Local sign-in: pick the person you want to act as.',
    note: 'Open a private window to act as a second person side by side, e.g. an author and an approver.',
    loadFailed: 'The list of demo users could not be loaded: {{message}}',
    signInFailed: 'Signing in as {{user}} failed: {{message}}',
    gitlab: 'Sign in with GitLab',
  },
});

export const signInMessagesKo = createTranslationMessages({
  ref: signInTranslationRef,
  full: true,
  messages: {
    title: 'kop 배포 포털',
    subtitle: '로컬 로그인: 어떤 사람으로 작업할지 선택하세요.',
    note: '두 사람(예: 작성자와 승인자)을 나란히 써보려면 시크릿 창을 하나 더 여세요.',
    loadFailed: '데모 사용자 목록을 불러오지 못했습니다: {{message}}',
    signInFailed: '{{user}}(으)로 로그인하지 못했습니다: {{message}}',
    gitlab: 'GitLab으로 로그인',
  },
});
