// Korean for every key of signInTranslationRef; translation.test.ts keeps the two in step.
const ko = {
  title: 'kop 배포 포털',
  subtitle: '로컬 로그인: 어떤 사람으로 작업할지 선택하세요.',
  note: '두 사람(예: 작성자와 승인자)을 나란히 써보려면 시크릿 창을 하나 더 여세요.',
  loadFailed: '데모 사용자 목록을 불러오지 못했습니다: {{message}}',
  signInFailed: '{{user}}(으)로 로그인하지 못했습니다: {{message}}',
  gitlab: 'GitLab으로 로그인',
};

export default ko;
