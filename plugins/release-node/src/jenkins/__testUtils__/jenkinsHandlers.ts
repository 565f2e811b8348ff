import { http, HttpResponse } from 'msw';

/**
 * msw handlers answering like Jenkins' remote access API (the JSON of `/api/json` as the Jenkins
 * documentation and a stock Jenkins show it): basic auth, crumb issuer with a session cookie,
 * `buildWithParameters` → 201 + Location of the queue item, a queue item that becomes a build on the
 * next poll, a build that finishes on the poll after that, and the hybris image-tag artifact. With
 * `commitOf`, a hybris build carries the git plugin's BuildData of a Pipeline that also checked out
 * its shared library: one for the library's main, one for the branch built.
 */
export function createJenkinsHandlers(options: {
  baseUrl: string;
  username: string;
  apiToken: string;
  buildToken?: string;
  /** The commit a hybris build checks out for its BRANCH; without it builds have no git data. */
  commitOf?: (branch: string) => string;
}) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const auth = `Basic ${Buffer.from(
    `${options.username}:${options.apiToken}`,
  ).toString('base64')}`;
  const crumb = 'd3f1b2c4a5e6f708192a3b4c5d6e7f80';
  const jobs = ['kop/hybris-build', 'kop/payment-tests'];
  const builds: Array<{
    job: string;
    number: number;
    queueId: number;
    parameters: Record<string, string>;
    polls: number;
    buildPolls: number;
  }> = [];
  let queueSeq = 40;
  const next: Record<string, number> = {};
  const triggers: Array<{ job: string; body: Record<string, string> }> = [];

  const jobOf = (path: string) => {
    const m = /^\/job\/([^/]+)\/job\/([^/]+)(\/.*)?$/.exec(path);
    return m ? { job: `${m[1]}/${m[2]}`, rest: m[3] ?? '' } : undefined;
  };
  const gitData = (sha: string, branch: string, project: string) => {
    const revision = {
      SHA1: sha,
      branch: [{ SHA1: sha, name: `refs/remotes/origin/${branch}` }],
    };
    return {
      _class: 'hudson.plugins.git.util.BuildData',
      buildsByBranchName: {
        [`refs/remotes/origin/${branch}`]: {
          _class: 'hudson.plugins.git.util.Build',
          buildNumber: 1,
          buildResult: null,
          marked: revision,
          revision,
        },
      },
      lastBuiltRevision: revision,
      remoteUrls: [`https://gitlab.kop.example/${project}.git`],
      scmName: '',
    };
  };
  const refused = () =>
    new HttpResponse('Invalid password/token for user', { status: 401 });

  const handler = async ({ request }: { request: Request }) => {
    if (request.headers.get('authorization') !== auth) return refused();
    const url = new URL(request.url);
    const path = url.pathname.slice(
      new URL(base).pathname.replace(/\/$/, '').length,
    );
    if (path === '/me/api/json') {
      return HttpResponse.json({
        _class: 'hudson.model.User',
        id: options.username,
        fullName: options.username,
      });
    }
    if (path === '/crumbIssuer/api/json') {
      return HttpResponse.json(
        {
          _class: 'hudson.security.csrf.DefaultCrumbIssuer',
          crumb,
          crumbRequestField: 'Jenkins-Crumb',
        },
        {
          headers: {
            'set-cookie': 'JSESSIONID.5b6bc6ab=node01abc; Path=/; HttpOnly',
          },
        },
      );
    }
    const queue = /^\/queue\/item\/(\d+)\/api\/json$/.exec(path);
    if (queue) {
      const build = builds.find(b => b.queueId === Number(queue[1]));
      if (!build) return new HttpResponse('Not Found', { status: 404 });
      build.polls += 1;
      const task = {
        _class: 'hudson.model.FreeStyleProject',
        name: build.job.split('/')[1],
        url: `${base}/job/kop/job/${build.job.split('/')[1]}/`,
      };
      return HttpResponse.json(
        build.polls < 2
          ? {
              _class: 'hudson.model.Queue$WaitingItem',
              id: build.queueId,
              blocked: false,
              buildable: false,
              cancelled: false,
              why: 'In the quiet period. Expires in 4.9 sec',
              task,
              executable: null,
            }
          : {
              _class: 'hudson.model.Queue$LeftItem',
              id: build.queueId,
              blocked: false,
              buildable: false,
              cancelled: false,
              why: null,
              task,
              executable: {
                _class: 'hudson.model.FreeStyleBuild',
                number: build.number,
                url: `${base}/job/kop/job/${build.job.split('/')[1]}/${
                  build.number
                }/`,
              },
            },
      );
    }
    const j = jobOf(path);
    if (!j || !jobs.includes(j.job))
      return new HttpResponse('Not Found', { status: 404 });
    if (j.rest === '/api/json') {
      return HttpResponse.json({
        _class: 'hudson.model.FreeStyleProject',
        name: j.job.split('/')[1],
        fullName: j.job,
        buildable: true,
      });
    }
    if (j.rest === '/buildWithParameters' && request.method === 'POST') {
      if (
        request.headers.get('jenkins-crumb') !== crumb ||
        !request.headers
          .get('cookie')
          ?.includes('JSESSIONID.5b6bc6ab=node01abc')
      ) {
        return new HttpResponse('No valid crumb was included in the request', {
          status: 403,
        });
      }
      const body = Object.fromEntries(
        new URLSearchParams(await request.text()),
      );
      triggers.push({ job: j.job, body });
      if (options.buildToken && body.token !== options.buildToken) {
        return new HttpResponse('Invalid token', { status: 403 });
      }
      const { token: _token, ...parameters } = body;
      next[j.job] = (next[j.job] ?? 0) + 1;
      queueSeq += 1;
      builds.push({
        job: j.job,
        number: next[j.job],
        queueId: queueSeq,
        parameters,
        polls: 0,
        buildPolls: 0,
      });
      return new HttpResponse(null, {
        status: 201,
        headers: { location: `${base}/queue/item/${queueSeq}/` },
      });
    }
    const b = /^\/(\d+)\/(api\/json|artifact\/(.+))$/.exec(j.rest);
    const build =
      b && builds.find(x => x.job === j.job && x.number === Number(b[1]));
    if (!b || !build) return new HttpResponse('Not Found', { status: 404 });
    const tag = `${build.parameters.BRANCH}-${build.number}`;
    if (b[3]) {
      return b[3] === 'image-tag.txt' && j.job === 'kop/hybris-build'
        ? HttpResponse.text(`${tag}\n`)
        : new HttpResponse('Not Found', { status: 404 });
    }
    build.buildPolls += 1;
    const done = build.buildPolls > 1;
    return HttpResponse.json({
      _class: 'hudson.model.FreeStyleBuild',
      actions: [
        {
          _class: 'hudson.model.ParametersAction',
          parameters: Object.entries(build.parameters).map(([name, value]) => ({
            _class: 'hudson.model.StringParameterValue',
            name,
            value,
          })),
        },
        {
          _class: 'hudson.model.CauseAction',
          causes: [
            {
              _class: 'hudson.model.Cause$UserIdCause',
              shortDescription: `Started by user ${options.username}`,
            },
          ],
        },
        {},
        ...(j.job === 'kop/hybris-build' && options.commitOf
          ? [
              gitData('f'.repeat(40), 'main', 'kop/jenkins-library'),
              gitData(
                options.commitOf(build.parameters.BRANCH),
                build.parameters.BRANCH,
                'kop/hybris',
              ),
            ]
          : []),
      ],
      artifacts:
        done && j.job === 'kop/hybris-build'
          ? [
              {
                displayPath: 'image-tag.txt',
                fileName: 'image-tag.txt',
                relativePath: 'image-tag.txt',
              },
            ]
          : [],
      building: !done,
      description: done && j.job === 'kop/hybris-build' ? `image ${tag}` : null,
      displayName: `#${build.number}`,
      duration: done ? 61234 : 0,
      estimatedDuration: 60000,
      fullDisplayName: `${j.job.replace('/', ' » ')} #${build.number}`,
      id: String(build.number),
      number: build.number,
      queueId: build.queueId,
      result: done ? 'SUCCESS' : null,
      timestamp: 1764050000000,
      url: `${base}/job/kop/job/${j.job.split('/')[1]}/${build.number}/`,
    });
  };
  return {
    handlers: [http.get(`${base}/*`, handler), http.post(`${base}/*`, handler)],
    triggers,
  };
}

/**
 * fetch for clients under msw: msw 2.15's mocked responses never settle `body.cancel()`, which
 * `fetchWithRetry` awaits before a retry; a buffered copy cancels at once. Real servers (the
 * sandbox) need none of this.
 */
export const bufferedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const empty = [204, 205, 304].includes(response.status);
  return new Response(empty ? null : await response.arrayBuffer(), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};
