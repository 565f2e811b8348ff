import type { GitAuthor, GitRepos, ImportCommit } from '../git/GitRepos';
import {
  GitlabStateStore,
  sandboxUsers,
  type GitlabState,
  type MergeRequestRecord,
  type PipelineRecord,
  type ProjectRecord,
} from './state';

/**
 * Every seeded date is an offset from this moment (Korean time), so shas and tests are stable.
 * The seed's announcement is for 2026-01-08: hybris(deploy-2026-01-08), web, cms.
 */
export const SEED_BASE = '2026-01-08T09:00:00+09:00';

/** `SEED_BASE` moved by whole days, at a given Korean wall-clock time. */
export function seedDate(dayOffset: number, hour = 10, minute = 0): string {
  const day = new Date(Date.UTC(2026, 0, 8 + dayOffset));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(
    day.getUTCDate(),
  )}T${pad(hour)}:${pad(minute)}:00+09:00`;
}

/** What the seed sets up, for tests and for the other stand-ins (Argo CD reads the IaC repository). */
export const seedFacts = {
  iac: { project: 'kop/kop-deploy-prod', branch: 'main' },
  /** The beta environment's IaC repository: the same layout and history as prod. */
  iacBeta: { project: 'kop/kop-deploy-beta', branch: 'main' },
  hybris: {
    project: 'kop/hybris',
    /** The deploy branch blue runs (blue is live, 9 replicas). */
    running: 'deploy-2026-01-06',
    /** The newest deploy branch: one merged MR more than what runs ("[HYBRIS] 푸터 대표이사 성명 변경 작업 원복"). */
    candidate: 'deploy-2026-01-08',
    /** Green's (idle, 0 replicas) image. */
    idle: 'deploy-2025-12-23',
    deployBranches: [
      'deploy-2025-12-09',
      'deploy-2025-12-23',
      'deploy-2026-01-06',
      'deploy-2026-01-08',
    ],
    liveColour: 'blue' as const,
  },
  cms: { project: 'kop/cms', from: 'pre-release', into: 'master' },
  web: { project: 'kop/web', branch: 'master' },
};

type Files = Record<string, string | null>;

const people: Record<string, GitAuthor & { username: string }> = {};
for (const u of sandboxUsers) {
  people[u.username] = { name: u.name, email: u.email, username: u.username };
}
const bot = people['kop-release-bot'];

/**
 * A tiny in-memory model of a history, written afterwards in one `git fast-import`. Merges are
 * three-way at whole-file granularity (the seed never changes one file on both sides).
 */
class History {
  readonly commits: ImportCommit[] = [];
  private readonly trees = new Map<number, Map<string, string>>();
  private readonly parentsOf = new Map<number, number[]>();
  readonly heads = new Map<string, number>();
  private nextMark = 1;

  commit(
    branch: string,
    message: string,
    author: GitAuthor,
    date: string,
    files: Files,
    startFrom?: string,
  ): number {
    const from =
      this.heads.get(branch) ??
      (startFrom ? this.heads.get(startFrom) : undefined);
    const tree = new Map(from ? this.trees.get(from) : []);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) tree.delete(path);
      else tree.set(path, content);
    }
    return this.add(branch, message, author, date, files, tree, from);
  }

  /** A branch that points at another's head (created after the import). */
  branch(name: string, from: string): void {
    this.heads.set(name, this.heads.get(from)!);
  }

  merge(
    source: string,
    target: string,
    message: string,
    author: GitAuthor,
    date: string,
  ): number {
    const s = this.heads.get(source)!;
    const t = this.heads.get(target)!;
    const base = this.mergeBase(s, t);
    const [st, tt, bt] = [s, t, base].map(m =>
      m ? this.trees.get(m)! : new Map<string, string>(),
    );
    const tree = new Map(tt);
    const files: Files = {};
    for (const path of new Set([...st.keys(), ...bt.keys()])) {
      const [sv, tv, bv] = [st.get(path), tt.get(path), bt.get(path)];
      if (sv === bv || sv === tv) continue;
      if (tv !== bv) throw new Error(`seed merge conflict on ${path}`);
      if (sv === undefined) {
        tree.delete(path);
        files[path] = null;
      } else {
        tree.set(path, sv);
        files[path] = sv;
      }
    }
    return this.add(target, message, author, date, files, tree, t, s);
  }

  private add(
    branch: string,
    message: string,
    author: GitAuthor,
    date: string,
    files: Files,
    tree: Map<string, string>,
    from?: number,
    merge?: number,
  ): number {
    const mark = this.nextMark++;
    this.commits.push({
      mark,
      branch,
      from,
      merge,
      message,
      author,
      date,
      files,
    });
    this.trees.set(mark, tree);
    this.parentsOf.set(
      mark,
      [from, merge].filter((m): m is number => !!m),
    );
    this.heads.set(branch, mark);
    return mark;
  }

  private ancestors(mark: number): Set<number> {
    const seen = new Set<number>();
    const todo = [mark];
    while (todo.length) {
      const m = todo.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      todo.push(...(this.parentsOf.get(m) ?? []));
    }
    return seen;
  }

  private mergeBase(a: number, b: number): number | undefined {
    const inB = this.ancestors(b);
    // Marks grow with time, so the greatest common ancestor is the nearest one.
    return (
      Math.max(...[...this.ancestors(a)].filter(m => inB.has(m)), 0) ||
      undefined
    );
  }
}

interface SeedMergeRequest {
  title: string;
  description: string;
  sourceBranch: string;
  targetBranch: string;
  author: string;
  mergedBy?: string;
  createdAt: string;
  mergedAt?: string;
  /** Marks of the source head and the merge commit. */
  sourceMark: number;
  mergeMark?: number;
}

/** One merged (or still open) merge request: a feature branch, its commits, and the merge. */
function mergeRequest(
  h: History,
  mrs: SeedMergeRequest[],
  options: {
    title: string;
    branch: string;
    into: string;
    author: string;
    mergedBy?: string;
    opened: string;
    merged?: string;
    commits: Array<{ message?: string; files: Files; at?: string }>;
    project: string;
  },
): void {
  const author = people[options.author];
  let sourceMark = h.heads.get(options.branch) ?? 0;
  for (const c of options.commits) {
    sourceMark = h.commit(
      options.branch,
      c.message ?? options.title,
      author,
      c.at ?? options.opened,
      c.files,
      options.into,
    );
  }
  const record: SeedMergeRequest = {
    title: options.title,
    description: `${options.title}\n\nAsana: https://app.asana.com/0/1209000000000001/list`,
    sourceBranch: options.branch,
    targetBranch: options.into,
    author: options.author,
    createdAt: options.opened,
    sourceMark,
  };
  if (options.merged) {
    const mergedBy = options.mergedBy ?? 'park.jihoon';
    const iid = mrs.length + 1;
    record.mergedBy = mergedBy;
    record.mergedAt = options.merged;
    record.mergeMark = h.merge(
      options.branch,
      options.into,
      `Merge branch '${options.branch}' into '${options.into}'\n\n${options.title}\n\nSee merge request ${options.project}!${iid}`,
      people[mergedBy],
      options.merged,
    );
  }
  mrs.push(record);
}

// ---------------------------------------------------------------------------------------------
// File contents

const ci = (
  app: string,
) => `# ${app}: build, test, and (on deploy branches) publish the image
stages: [build, test]

build:
  stage: build
  script:
    - ./ci/build.sh

test:
  stage: test
  script:
    - ./ci/test.sh
`;

const footerTag = (
  ceo: string,
) => `<%@ tag body-content="empty" trimDirectiveWhitespaces="true" %>
<footer class="kop-footer">
  <p class="company">(주)케이오피 | 대표이사 ${ceo}</p>
  <p class="address">서울특별시 강남구 테헤란로 000</p>
</footer>
`;

const footerImpex = (ceo: string) => `# Footer company information
INSERT_UPDATE CMSParagraphComponent;uid[unique=true];content[lang=ko]
;footerCompanyInfo;"(주)케이오피 | 대표이사 ${ceo}"
`;

const itemsXml = (
  restock: boolean,
) => `<?xml version="1.0" encoding="ISO-8859-1"?>
<items xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="items.xsd">
  <itemtypes>
    <itemtype code="KopProduct" extends="Product" autocreate="true" generate="true">
      <attributes>
        <attribute qualifier="brandCode" type="java.lang.String">
          <persistence type="property"/>
        </attribute>
      </attributes>
    </itemtype>${
      restock
        ? `
    <itemtype code="RestockNotification" autocreate="true" generate="true">
      <deployment table="restock_notifications" typecode="25001"/>
      <attributes>
        <attribute qualifier="product" type="Product">
          <persistence type="property"/>
        </attribute>
        <attribute qualifier="customerEmail" type="java.lang.String">
          <persistence type="property"/>
        </attribute>
      </attributes>
    </itemtype>`
        : ''
    }
  </itemtypes>
</items>
`;

const orderApi = (limit: number) => `package com.kop.core.order;

public class OrderHistoryController {
  /** Largest page the order history API returns. */
  static final int MAX_PAGE_SIZE = ${limit};
}
`;

const localProperties = (paymentLog: string) => `# hybris local.properties (kop)
tomcat.generaloptions=-Xmx12G -XX:+UseG1GC
log4j2.logger.payment.level=${paymentLog}
cluster.broadcast.method.jgroups=de.hybris.platform.cluster.jgroups.JGroupsBroadcastMethod
`;

const cmsTemplate = (
  brand: string,
  version: string,
) => `<!-- ${brand} main template -->
<section class="kop-main kop-main--${brand}">
  <h1>{{ title }}</h1>
  <div class="banner" data-template-version="${version}">{{ banner }}</div>
</section>
`;

const cmsDetail = (
  version: string,
) => `<!-- KS product detail (CMS-상세HTML) -->
<article class="kop-detail" data-version="${version}">
  <div class="detail-html">{{{ detailHtml }}}</div>
</article>
`;

const webFooter = (ceo: string) => `export function Footer() {
  return <footer>(주)케이오피 | 대표이사 ${ceo}</footer>;
}
`;

const webCeo = (
  ceo: string,
) => `// Vertical (버티컬) landing: company information block
export const ceoName = '${ceo}';
`;

const webCart = (label: string) => `export const cartButtonLabel = '${label}';
`;

/** Helm values of one hybris colour, with the comments the team keeps. */
export function hybrisColourValues(
  colour: 'blue' | 'green',
  tag: string,
  replicas: number,
): string {
  return `# hybris — ${colour} colour (Argo CD app: hybris-${colour})
# The release portal changes only image.tag and replicaCount here; everything else is by hand.
image:
  repository: registry.kop.example/kop/hybris
  # The deploy branch the image was built from (Jenkins kop/hybris-build).
  tag: ${tag}
  pullPolicy: IfNotPresent

# 9 replicas is "normal"; the idle colour runs 0.
replicaCount: ${replicas}

colour: ${colour}
jgroups:
  clusterName: kop-hybris-${colour} # nodes of one colour form one JGroups view
resources:
  requests:
    cpu: "4"
    memory: 16Gi
  limits:
    memory: 16Gi
probes:
  readiness: /cluster/status # ready only once the JGroups view is complete
  liveness: /healthz
`;
}

/** The traffic switch: the three hybrisServiceName keys name the live colour. */
export function hybrisSwitchValues(live: 'blue' | 'green'): string {
  return `# hybris — traffic switch (Argo CD app: hybris)
# The three hybrisServiceName values name the live colour. Switch all three together.
storefront:
  hybrisServiceName: ${live} # www.kop.example
  host: www.kop.example
backoffice:
  hybrisServiceName: ${live}
  host: backoffice.kop.example
api:
  hybrisServiceName: ${live}
  host: api.kop.example
`;
}

function appValues(app: string, tag: string, extra = ''): string {
  return `# ${app} (Argo CD app: ${app})
image:
  repository: registry.kop.example/kop/${app.replace('-internal', '')}
  # Commit of the app repository the image was built from.
  tag: ${tag}
replicaCount: 3
${extra}`;
}

function chart(app: string): string {
  return `apiVersion: v2
name: ${app}
description: kop ${app}
version: 1.0.0
`;
}

function argoApp(
  repo: string,
  name: string,
  path: string,
  valueFiles: string[],
): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
  labels:
    kop.release/app: ${name.replace(/-(blue|green|internal)$/, '')}
spec:
  project: kop
  source:
    repoURL: https://gitlab.kop.example/${repo}.git
    targetRevision: main
    path: ${path}
    helm:
      valueFiles:
${valueFiles.map(f => `        - ${f}`).join('\n')}
  destination:
    server: https://kubernetes.default.svc
    namespace: kop
  # Synced by the release portal, step by step; no automated sync.
  syncPolicy: {}
`;
}

/** App of apps: every Application under argocd/apps belongs to kop. */
const rootApp = (
  repo: string,
) => `# App of apps: the Applications under argocd/apps.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: kop-root
  namespace: argocd
spec:
  project: kop
  source:
    repoURL: https://gitlab.kop.example/${repo}.git
    targetRevision: main
    path: argocd/apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
  syncPolicy:
    automated: { prune: false, selfHeal: false }
`;

// ---------------------------------------------------------------------------------------------

interface SeededProject {
  record: ProjectRecord;
  history: History;
  mrs: SeedMergeRequest[];
  /** Branches the import writes that go away afterwards (merged source branches). */
  deleteAfter: string[];
}

function seedHybris(): SeededProject {
  const h = new History();
  const mrs: SeedMergeRequest[] = [];
  const project = 'kop/hybris';
  h.commit(
    'master',
    'Initial import of kop hybris',
    people['park.jihoon'],
    seedDate(-30, 9),
    {
      '.gitlab-ci.yml': ci('hybris'),
      'README.md':
        '# kop hybris\n\nSAP Commerce for kop. Deploy branches: deploy-YYYY-MM-DD.\n',
      'config/local.properties': localProperties('INFO'),
      'bin/custom/kopcore/resources/items.xml': itemsXml(false),
      'bin/custom/kopcore/resources/impex/essentialdata-footer.impex':
        footerImpex('홍길동'),
      'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag':
        footerTag('홍길동'),
      'bin/custom/kopcore/src/com/kop/core/order/OrderHistoryController.java':
        orderApi(100),
    },
  );
  h.branch('deploy-2025-12-09', 'master');
  mergeRequest(h, mrs, {
    project,
    title: '[HYBRIS] 결제 모듈 로그 레벨 조정',
    branch: 'feature/payment-log-level',
    into: 'master',
    author: 'kim.minjun',
    opened: seedDate(-26, 11),
    merged: seedDate(-25, 15),
    commits: [
      { files: { 'config/local.properties': localProperties('WARN') } },
    ],
  });
  mergeRequest(h, mrs, {
    project,
    title: '[HYBRIS] 푸터 대표이사 성명 변경',
    branch: 'feature/footer-ceo-name',
    into: 'master',
    author: 'lee.seoyeon',
    opened: seedDate(-17, 10),
    merged: seedDate(-16, 14),
    commits: [
      {
        files: {
          'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag':
            footerTag('김철수'),
        },
      },
      {
        message: '[HYBRIS] 푸터 대표이사 성명 impex 반영',
        at: seedDate(-17, 15),
        files: {
          'bin/custom/kopcore/resources/impex/essentialdata-footer.impex':
            footerImpex('김철수'),
        },
      },
    ],
  });
  h.branch('deploy-2025-12-23', 'master');
  mergeRequest(h, mrs, {
    project,
    title: '[HYBRIS] 주문 조회 API 페이지 크기 제한',
    branch: 'feature/order-page-size',
    into: 'master',
    author: 'kim.minjun',
    opened: seedDate(-7, 10),
    merged: seedDate(-6, 11),
    commits: [
      {
        files: {
          'bin/custom/kopcore/src/com/kop/core/order/OrderHistoryController.java':
            orderApi(50),
        },
      },
    ],
  });
  h.branch('deploy-2026-01-06', 'master');
  mergeRequest(h, mrs, {
    project,
    title: '[HYBRIS] 푸터 대표이사 성명 변경 작업 원복',
    branch: 'feature/revert-footer-ceo-name',
    into: 'master',
    author: 'lee.seoyeon',
    opened: seedDate(-1, 10),
    merged: seedDate(-1, 16),
    commits: [
      {
        files: {
          'bin/custom/kopstorefront/web/webroot/WEB-INF/tags/footer.tag':
            footerTag('홍길동'),
        },
      },
    ],
  });
  h.branch('deploy-2026-01-08', 'master');
  // After the newest deploy branch: a DB change (items.xml) and a commit with no merge request.
  mergeRequest(h, mrs, {
    project,
    title: '[HYBRIS] 재입고 알림 타입 추가',
    branch: 'feature/restock-notification',
    into: 'master',
    author: 'choi.yuna',
    mergedBy: 'jung.hyunwoo',
    opened: seedDate(-1, 11),
    merged: seedDate(0, 10, 30),
    commits: [
      {
        files: {
          'bin/custom/kopcore/resources/items.xml': itemsXml(true),
          'bin/custom/kopcore/resources/impex/essentialdata-restock.impex':
            '# Restock notification e-mail template\nINSERT_UPDATE EmailPageTemplate;uid[unique=true]\n;RestockNotificationTemplate\n',
        },
      },
    ],
  });
  h.commit(
    'master',
    'hotfix: 결제 로그 레벨 되돌림',
    people['kim.minjun'],
    seedDate(0, 11),
    {
      'config/local.properties': localProperties('INFO'),
    },
  );
  return {
    record: {
      id: 101,
      path: project,
      description: 'SAP Commerce (hybris) for kop',
      defaultBranch: 'master',
      createdAt: seedDate(-30, 9),
      protectedBranches: ['master', 'deploy-*'],
      ci: true,
      onlyAllowMergeIfPipelineSucceeds: true,
    },
    history: h,
    mrs,
    deleteAfter: mrs.map(m => m.sourceBranch),
  };
}

function seedCms(): SeededProject {
  const h = new History();
  const mrs: SeedMergeRequest[] = [];
  const project = 'kop/cms';
  h.commit(
    'master',
    'Initial import of kop cms',
    people['park.jihoon'],
    seedDate(-40, 9),
    {
      '.gitlab-ci.yml': ci('cms'),
      'README.md':
        '# kop cms\n\nRelease: branch from pre-release, merge request into master.\n',
      'src/templates/ks/main.html': cmsTemplate('ks', '1'),
      'src/templates/ks/detail.html': cmsDetail('1'),
      'src/templates/tc/main.html': cmsTemplate('tc', '1'),
      'db/migration/V1__init.sql':
        'CREATE TABLE page (id BIGINT PRIMARY KEY, slug VARCHAR(200) NOT NULL);\n',
    },
  );
  h.branch('pre-release', 'master');
  mergeRequest(h, mrs, {
    project,
    title: '[CMS] 메인 배너 영역 컬럼 추가',
    branch: 'feature/banner-column',
    into: 'pre-release',
    author: 'choi.yuna',
    opened: seedDate(-21, 10),
    merged: seedDate(-20, 14),
    commits: [
      {
        files: {
          'db/migration/V2__add_banner_column.sql':
            'ALTER TABLE page ADD COLUMN banner_html TEXT;\n',
        },
      },
    ],
  });
  h.branch('release/2025-12-19', 'pre-release');
  mergeRequest(h, mrs, {
    project,
    title: 'Release 2025-12-19',
    branch: 'release/2025-12-19',
    into: 'master',
    author: 'park.jihoon',
    mergedBy: 'park.jihoon',
    opened: seedDate(-20, 16),
    merged: seedDate(-20, 17),
    commits: [],
  });
  mergeRequest(h, mrs, {
    project,
    title: '[CMS] KS 템플릿 업데이트',
    branch: 'feature/ks-template',
    into: 'pre-release',
    author: 'choi.yuna',
    opened: seedDate(-3, 10),
    merged: seedDate(-2, 15),
    commits: [
      { files: { 'src/templates/ks/main.html': cmsTemplate('ks', '2') } },
    ],
  });
  mergeRequest(h, mrs, {
    project,
    title: '[CMS] KS CMS-상세HTML 수정 요청',
    branch: 'feature/ks-detail-html',
    into: 'pre-release',
    author: 'lee.seoyeon',
    opened: seedDate(-2, 11),
    merged: seedDate(-1, 14),
    commits: [{ files: { 'src/templates/ks/detail.html': cmsDetail('2') } }],
  });
  mergeRequest(h, mrs, {
    project,
    title: '[CMS] TC 이벤트 배너 교체',
    branch: 'feature/tc-event-banner',
    into: 'pre-release',
    author: 'choi.yuna',
    opened: seedDate(0, 8),
    commits: [
      { files: { 'src/templates/tc/main.html': cmsTemplate('tc', '2') } },
    ],
  });
  return {
    record: {
      id: 102,
      path: project,
      description: 'kop cms (Argo CD apps cms and cms-internal)',
      defaultBranch: 'master',
      createdAt: seedDate(-40, 9),
      protectedBranches: ['master', 'pre-release'],
      ci: true,
      onlyAllowMergeIfPipelineSucceeds: true,
    },
    history: h,
    mrs,
    deleteAfter: mrs.filter(m => m.mergedAt).map(m => m.sourceBranch),
  };
}

function seedWeb(): SeededProject {
  const h = new History();
  const mrs: SeedMergeRequest[] = [];
  const project = 'kop/web';
  h.commit(
    'master',
    'Initial import of kop web',
    people['park.jihoon'],
    seedDate(-35, 9),
    {
      '.gitlab-ci.yml': ci('web'),
      'package.json': '{\n  "name": "kop-web",\n  "private": true\n}\n',
      'src/components/Footer.tsx': webFooter('홍길동'),
      'src/pages/vertical/CeoInfo.ts': webCeo('홍길동'),
      'src/components/cart.ts': webCart('장바구니 담기'),
    },
  );
  mergeRequest(h, mrs, {
    project,
    title: '[버티컬] 대표이사 성명 변경',
    branch: 'feature/vertical-ceo-name',
    into: 'master',
    author: 'lee.seoyeon',
    opened: seedDate(-17, 10),
    merged: seedDate(-16, 15),
    commits: [
      {
        files: {
          'src/pages/vertical/CeoInfo.ts': webCeo('김철수'),
          'src/components/Footer.tsx': webFooter('김철수'),
        },
      },
    ],
  });
  mergeRequest(h, mrs, {
    project,
    title: '[WEB] 장바구니 버튼 문구 수정',
    branch: 'feature/cart-label',
    into: 'master',
    author: 'kim.minjun',
    opened: seedDate(-10, 10),
    merged: seedDate(-9, 11),
    commits: [
      { files: { 'src/components/cart.ts': webCart('장바구니에 담기') } },
    ],
  });
  mergeRequest(h, mrs, {
    project,
    title: '[버티컬] 대표이사 성명 변경 작업 원복',
    branch: 'feature/revert-vertical-ceo-name',
    into: 'master',
    author: 'lee.seoyeon',
    opened: seedDate(-1, 10),
    merged: seedDate(-1, 17),
    commits: [
      {
        files: {
          'src/pages/vertical/CeoInfo.ts': webCeo('홍길동'),
          'src/components/Footer.tsx': webFooter('홍길동'),
        },
      },
    ],
  });
  return {
    record: {
      id: 103,
      path: project,
      description: 'kop storefront web (Argo CD app web)',
      defaultBranch: 'master',
      createdAt: seedDate(-35, 9),
      protectedBranches: ['master'],
      ci: true,
      onlyAllowMergeIfPipelineSucceeds: true,
    },
    history: h,
    mrs,
    deleteAfter: mrs.map(m => m.sourceBranch),
  };
}

function seedIac(
  repo: string,
  id: number,
  versions: {
    cmsInitial: string;
    cmsRunning: string;
    webInitial: string;
    webRunning: string;
  },
): SeededProject {
  const name = repo.split('/')[1];
  const h = new History();
  const who = people['jung.hyunwoo'];
  const notes = (lines: string[]) => `\n\n${lines.join('\n')}`;
  h.commit('main', `Initial ${name} layout`, who, seedDate(-30, 18), {
    'README.md': `# ${name}\n\nHelm values of the kop apps, synced by Argo CD (app of apps under argocd/).\n`,
    'argocd/root.yaml': rootApp(repo),
    'argocd/apps/hybris-blue.yaml': argoApp(repo, 'hybris-blue', 'hybris', [
      'values-blue.yaml',
    ]),
    'argocd/apps/hybris-green.yaml': argoApp(repo, 'hybris-green', 'hybris', [
      'values-green.yaml',
    ]),
    'argocd/apps/hybris.yaml': argoApp(repo, 'hybris', 'hybris', [
      'values.yaml',
    ]),
    'argocd/apps/cms.yaml': argoApp(repo, 'cms', 'cms', ['values.yaml']),
    'argocd/apps/cms-internal.yaml': argoApp(
      repo,
      'cms-internal',
      'cms-internal',
      ['values.yaml'],
    ),
    'argocd/apps/web.yaml': argoApp(repo, 'web', 'web', ['values.yaml']),
    'hybris/Chart.yaml': chart('hybris'),
    'hybris/values-blue.yaml': hybrisColourValues(
      'blue',
      'deploy-2025-12-09',
      9,
    ),
    'hybris/values-green.yaml': hybrisColourValues(
      'green',
      'deploy-2025-12-09',
      0,
    ),
    'hybris/values.yaml': hybrisSwitchValues('blue'),
    'cms/Chart.yaml': chart('cms'),
    'cms/values.yaml': appValues(
      'cms',
      versions.cmsInitial,
      'ingress:\n  host: cms.kop.example\n',
    ),
    'cms-internal/Chart.yaml': chart('cms-internal'),
    'cms-internal/values.yaml': appValues(
      'cms-internal',
      versions.cmsInitial,
      '# Internal editors only; not exposed outside the VPN.\ninternal: true\n',
    ),
    'web/Chart.yaml': chart('web'),
    'web/values.yaml': appValues(
      'web',
      versions.webInitial,
      'ingress:\n  host: www.kop.example\n',
    ),
  });
  h.commit(
    'main',
    `[kop] hybris deploy-2025-12-23 → green 9${notes([
      '- [HYBRIS] 푸터 대표이사 성명 변경',
    ])}`,
    who,
    seedDate(-15, 14),
    {
      'hybris/values-green.yaml': hybrisColourValues(
        'green',
        'deploy-2025-12-23',
        9,
      ),
    },
  );
  h.commit('main', '[kop] hybris switch → green', who, seedDate(-15, 15), {
    'hybris/values.yaml': hybrisSwitchValues('green'),
  });
  h.commit('main', '[kop] hybris blue → 0', who, seedDate(-15, 17), {
    'hybris/values-blue.yaml': hybrisColourValues(
      'blue',
      'deploy-2025-12-09',
      0,
    ),
  });
  h.commit(
    'main',
    `[kop] cms ${versions.cmsRunning}${notes([
      '- [CMS] 메인 배너 영역 컬럼 추가',
    ])}`,
    who,
    seedDate(-14, 14),
    {
      'cms/values.yaml': appValues(
        'cms',
        versions.cmsRunning,
        'ingress:\n  host: cms.kop.example\n',
      ),
      'cms-internal/values.yaml': appValues(
        'cms-internal',
        versions.cmsRunning,
        '# Internal editors only; not exposed outside the VPN.\ninternal: true\n',
      ),
    },
  );
  h.commit(
    'main',
    `[kop] web ${versions.webRunning}${notes([
      '- [WEB] 장바구니 버튼 문구 수정',
    ])}`,
    who,
    seedDate(-8, 14),
    {
      'web/values.yaml': appValues(
        'web',
        versions.webRunning,
        'ingress:\n  host: www.kop.example\n',
      ),
    },
  );
  h.commit(
    'main',
    `[kop] hybris deploy-2026-01-06 → blue 9${notes([
      '- [HYBRIS] 주문 조회 API 페이지 크기 제한',
    ])}`,
    bot,
    seedDate(-2, 14),
    {
      'hybris/values-blue.yaml': hybrisColourValues(
        'blue',
        'deploy-2026-01-06',
        9,
      ),
    },
  );
  h.commit('main', '[kop] hybris switch → blue', bot, seedDate(-2, 15), {
    'hybris/values.yaml': hybrisSwitchValues('blue'),
  });
  h.commit('main', '[kop] hybris green → 0', bot, seedDate(-2, 17), {
    'hybris/values-green.yaml': hybrisColourValues(
      'green',
      'deploy-2025-12-23',
      0,
    ),
  });
  return {
    record: {
      id,
      path: repo,
      description: `Helm values and Argo CD apps of kop (${
        name.endsWith('beta') ? 'beta' : 'production'
      })`,
      defaultBranch: 'main',
      createdAt: seedDate(-30, 18),
      protectedBranches: ['main'],
      ci: false,
      onlyAllowMergeIfPipelineSucceeds: false,
    },
    history: h,
    mrs: [],
    deleteAfter: [],
  };
}

async function write(
  repos: GitRepos,
  seeded: SeededProject,
): Promise<Map<number, string>> {
  const { record, history } = seeded;
  await repos.create(record.path, { defaultBranch: record.defaultBranch });
  const marks = await repos.importHistory(record.path, history.commits);
  const written = new Set(history.commits.map(c => c.branch));
  const updates: Array<{ name: string; sha: string | null }> = [];
  for (const [name, mark] of history.heads) {
    if (seeded.deleteAfter.includes(name)) {
      if (written.has(name)) updates.push({ name, sha: null });
    } else if (!written.has(name)) {
      updates.push({ name, sha: marks.get(mark)! });
    }
  }
  await repos.updateBranches(record.path, updates);
  return marks;
}

const short = (sha: string) => sha.slice(0, 8);

/**
 * Seeds kop/hybris, kop/cms, kop/web, kop/kop-deploy-prod and kop/kop-deploy-beta into `repos`, and
 * the merge requests and pipelines into `<dataDir>/gitlab/state.json`. Does nothing when that file
 * exists (a restart keeps what happened since).
 */
export async function seedGitlab(
  repos: GitRepos,
  dataDir: string,
  options: { webBaseUrl?: string } = {},
): Promise<GitlabStateStore> {
  const existing = GitlabStateStore.load(dataDir);
  if (existing) return existing;
  const webBase =
    options.webBaseUrl ??
    `http://127.0.0.1:${process.env.KOP_SANDBOX_PORT ?? 7100}/gitlab`;

  const apps = [seedHybris(), seedCms(), seedWeb()];
  const marks = await Promise.all(apps.map(p => write(repos, p)));
  const sha = (i: number, mark: number) => marks[i].get(mark)!;

  const [cms, web] = [apps[1], apps[2]];
  const cmsMaster = cms.mrs.filter(m => m.targetBranch === 'master');
  const webMerged = web.mrs.filter(m => m.mergeMark);
  const versions = {
    cmsInitial: short(sha(1, 1)),
    cmsRunning: short(sha(1, cmsMaster[cmsMaster.length - 1].mergeMark!)),
    webInitial: short(sha(2, 1)),
    webRunning: short(sha(2, webMerged[1].mergeMark!)),
  };
  const iacs = [
    seedIac(seedFacts.iac.project, 104, versions),
    seedIac(seedFacts.iacBeta.project, 105, versions),
  ];
  await Promise.all(iacs.map(iac => write(repos, iac)));

  const state: GitlabState = {
    version: 1,
    projects: [...apps, ...iacs].map(p => p.record),
    mergeRequests: [],
    pipelines: [],
    nextMergeRequestId: 5001,
    nextPipelineId: 9001,
  };
  const pipelines: PipelineRecord[] = [];
  apps.forEach((app, i) => {
    app.mrs.forEach((m, index) => {
      const iid = index + 1;
      const record: MergeRequestRecord = {
        id: state.nextMergeRequestId++,
        iid,
        projectId: app.record.id,
        title: m.title,
        description: m.description,
        sourceBranch: m.sourceBranch,
        targetBranch: m.targetBranch,
        state: m.mergedAt ? 'merged' : 'opened',
        sha: sha(i, m.sourceMark),
        mergeCommitSha: m.mergeMark ? sha(i, m.mergeMark) : null,
        authorUsername: m.author,
        mergedByUsername: m.mergedBy ?? null,
        createdAt: m.createdAt,
        updatedAt: m.mergedAt ?? m.createdAt,
        mergedAt: m.mergedAt ?? null,
        closedAt: null,
        removeSourceBranch: true,
        webUrl: `${webBase}/${app.record.path}/-/merge_requests/${iid}`,
      };
      state.mergeRequests.push(record);
      pipelines.push({
        id: 0,
        iid: 0,
        projectId: app.record.id,
        sha: record.sha,
        ref: m.sourceBranch,
        source: 'merge_request_event',
        createdAt: m.createdAt,
        durationMs: 6 * 60_000,
        outcome: 'success',
      });
    });
  });
  for (const app of apps) {
    for (const branch of await repos.branches(app.record.path)) {
      const commit = await repos.showCommit(app.record.path, branch.sha);
      pipelines.push({
        id: 0,
        iid: 0,
        projectId: app.record.id,
        sha: branch.sha,
        ref: branch.name,
        source: 'push',
        createdAt: commit!.committedDate,
        durationMs: 8 * 60_000,
        outcome: 'success',
      });
    }
  }
  const counters = new Map<number, number>();
  pipelines
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
    .forEach(p => {
      const iid = (counters.get(p.projectId) ?? 0) + 1;
      counters.set(p.projectId, iid);
      state.pipelines.push({ ...p, id: state.nextPipelineId++, iid });
    });
  return GitlabStateStore.create(dataDir, state);
}
