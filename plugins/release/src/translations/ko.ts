// Korean for every key of releaseTranslationRef; translation.test.ts keeps the two in step.
const ko = {
  'releasesPage.title': '배포',
  'releasesPage.subtitle': '{{product}} 배포 포털',
  'releasesPage.newRelease': '새 배포',
  'releasesPage.emptyTitle': '아직 배포가 없습니다',
  'releasesPage.emptyDescription':
    '배포 양식으로 준비한 배포가 승인 및 진행 상황과 함께 여기에 표시됩니다.',
  'deployTab.title': '배포',
  'deployTab.emptyTitle': '아직 {{app}} 배포가 없습니다',
  'deployTab.emptyDescription':
    '{{app}}을(를) 포함한 배포가 버전과 상태와 함께 여기에 표시됩니다.',
  'deployTab.notAnApp':
    '이 컴포넌트는 kop 배포 대상 앱이 아닙니다 (kop.release/strategy 어노테이션이 없습니다).',
  'table.heading': '배포 목록',
  'table.title': '배포',
  'table.versions': '배포버전',
  'table.grade': '배포등급',
  'table.state': '상태',
  'table.author': '작성자',
  'table.created': '작성일',
  'backend.connected': '배포 백엔드 연결됨: {{product}} ({{environments}})',
  'backend.unreachable': '배포 백엔드가 응답하지 않습니다: {{message}}',
};

export default ko;
