// Endpoints and credentials of the systems the portal drives. Secrets come from the environment.
export interface Config {
  /**
   * Argo CD instances; the first is the default, apps may name another by `instance`. The kop set-up
   * runs one instance per environment, named after it (`beta`, `prod`), each holding the apps
   * hybris-blue, hybris-green, hybris, cms, cms-internal and web under those plain names.
   */
  argocd?: {
    instances: Array<{
      /** Name an app's config can refer to, e.g. prod. */
      name: string;
      /** Base URL of the Argo CD API server, e.g. https://argocd.example.com */
      url: string;
      /** The Argo CD UI people open from the portal's links, when it is not at `url`. */
      webUrl?: string;
      /**
       * Bearer token of an Argo CD account allowed to get, sync and terminate the kop apps.
       * @visibility secret
       */
      token: string;
      /** Per-request timeout in ms (default 15000). */
      timeoutMs?: number;
      /** Release environments this instance serves (default: its name). */
      environments?: string[];
      /**
       * The token's account as Argo CD reports it in `operation.initiatedBy.username`. When set, the
       * portal recognises (and will terminate) only operations started under this name as well as
       * carrying its `kop-release-portal` info entry; it also makes rollbacks recognisable.
       */
      username?: string;
      /** Apps the setup check (GET /setup-check) looks at (default: the six kop apps). */
      apps?: string[];
    }>;
    /** How often a wait polls an app, in ms (default 3000). */
    pollIntervalMs?: number;
    /**
     * Longest wait for an operation someone else started before a sync gives up, in ms (default
     * 900000). The portal never terminates such an operation.
     */
    busyTimeoutMs?: number;
    /** Longest wait for the portal's own operation to finish, in ms (default 1800000). */
    operationTimeoutMs?: number;
  };

  /** Jenkins, for builds and payment tests (its remote access API). */
  jenkins?: {
    /** Base URL, e.g. https://jenkins.example.com (the sandbox: http://127.0.0.1:7100/jenkins). */
    baseUrl: string;
    /** User the API token belongs to; needs Job/Read and Job/Build on the kop jobs. */
    username: string;
    /**
     * API token of that user, sent as basic auth.
     * @visibility secret
     */
    apiToken: string;
    /**
     * The jobs' "Trigger builds remotely" token, sent in the POST body of every trigger when set.
     * @visibility secret
     */
    buildToken?: string;
    /** Artifact of the hybris build that holds the pushed image tag (default image-tag.txt). */
    imageTagArtifact?: string;
    /** Per-request timeout in ms (default 15000). */
    timeoutMs?: number;
  };

  /** Prometheus, directly or through Grafana's datasource proxy. */
  prometheus?: {
    /** Prometheus base URL, or Grafana's `/api/datasources/proxy/uid/<uid>` URL. */
    baseUrl: string;
    /**
     * Bearer token (Grafana service account token when going through Grafana).
     * @visibility secret
     */
    token?: string;
    timeoutMs?: number;
  };

  /** hybris cluster status endpoints per environment and colour. */
  hybris?: {
    /**
     * Base URL of each colour's pods per environment; the gate reads `<base>/cluster/status`, which
     * answers `{ environment, colour, expectedNodes, viewSize, members[], missing[], complete,
     * coordinator?, viewId? }` (members = the JGroups view; complete when viewSize == expectedNodes),
     * and Prometheus scrapes `<base>/metrics` (`hybris_jgroups_view_size{colour}`,
     * `hybris_errors_total{colour}`). The sandbox serves both at `/hybris/<environment>/<colour>`.
     */
    clusterStatus: {
      [environment: string]: {
        /** e.g. { blue: https://hybris-blue.internal, green: https://hybris-green.internal } */
        [colour: string]: string;
      };
    };
    timeoutMs?: number;
  };

  /** Asana, for the release task in the release-management project. */
  asana?: {
    /** API base URL (default https://app.asana.com/api/1.0; the sandbox: http://127.0.0.1:7100/asana/api/1.0). */
    baseUrl?: string;
    /**
     * Personal access token or service account token.
     * @visibility secret
     */
    token: string;
    /** The release-management project gid. */
    projectGid: string;
    /** Section gid new release tasks go into. */
    sectionGid?: string;
    /** Custom field gids of the project. */
    fields?: {
      /** Enum field whose option names start with the grade letter, e.g. "B(낮음)". */
      grade?: string;
      /** Text field for the build number. */
      buildNumber?: string;
      /** Enum field with a yes and a no option. */
      dbUpdate?: string;
      /** Text field the release's state is written to as it moves. */
      state?: string;
    };
    /** Names of the DB update field's options (default yes: Y, no: N). */
    dbUpdateOptions?: { yes: string; no: string };
    /** Per-request timeout in ms (default 15000). */
    timeoutMs?: number;
  };

  /**
   * Slack, for announcements, approvals and commands. The channels the bot must be in are the values
   * of `release.notify.slack`.
   */
  slack?: {
    /** Web API base URL (default https://slack.com/api/; the sandbox: http://127.0.0.1:7100/slack/api/). */
    apiUrl?: string;
    /**
     * Bot token (xoxb-…) with the scopes chat:write, users:read, users:read.email, channels:read,
     * groups:read and im:write.
     * @visibility secret
     */
    botToken: string;
    /**
     * Signing secret that verifies requests Slack sends to the portal.
     * @visibility secret
     */
    signingSecret?: string;
    /** Per-request timeout in ms (default 15000). */
    timeoutMs?: number;
  };

  /** Where each app lives in GitLab, Argo CD and the IaC repository (see readReleaseLayout). */
  release?: {
    iac?: {
      /** IaC GitLab project per environment, e.g. { beta: kop/kop-deploy-beta, prod: kop/kop-deploy-prod }. */
      repos?: { [environment: string]: string };
      /** One IaC project for every environment (when repos is not set). */
      repo?: string;
      /** Branch Argo CD follows (default main). */
      branch?: string;
      /** commit (push to the branch) or merge-request (open an MR and merge it). */
      mode?: 'commit' | 'merge-request';
    };
    /** Glob patterns of changed paths per change class; dbChange and infraChange raise the grade floor. */
    changeClasses?: { [changeClass: string]: string[] };
    /** Who is told where. */
    notify?: {
      /**
       * Slack channel (#name or ID) per audience: each grade's `share` (team, core-service-pls, …),
       * qa (the QA request after a beta deploy) and release-room (the final announcement; default
       * the team's channel).
       */
      slack?: { [audience: string]: string };
    };
    /**
     * Where a release is tried before production. When set, a deploy to this environment is allowed
     * while the release is prepared, moves it to beta and no further, has no sign-off,
     * acknowledgement or announcement, and ends with the payment tests.
     */
    beta?: {
      /** The environment's name (default beta). */
      environment?: string;
      /** The payment tests run on beta: the Jenkins job and the brands tested (default ks, tc, g4). */
      paymentTests?: { jenkinsJob?: string; brands?: string[] };
    };
    /** Tests run after the deploy steps, before the sign-off, whose results the superior sees. */
    postDeployTests?: {
      /** Where they run (default [prod]). */
      environments?: string[];
      /** Each a Jenkins job (run with ENVIRONMENT) or an HTTP check of a URL (expectStatus, default 200). */
      tests: Array<{
        name: string;
        jenkinsJob?: string;
        url?: string;
        expectStatus?: number;
      }>;
    };
    /** The deploy plan: the order apps deploy in and what each step is expected to take. */
    plan?: {
      /** Every app once, in the order they deploy (default [hybris, cms, web]). */
      order?: Array<'hybris' | 'cms' | 'web'>;
      /** Estimates a step's expected time is made of; durations like 30s, 2m or ms as a number. */
      expectedTimes?: {
        /** A commit, its Argo CD sync and a plain app turning Healthy (default 1m). */
        sync?: string | number;
        /** One direct call: a branch, a merge request, a merge, a message (default 10s). */
        call?: string | number;
        /** A merge request's pipeline (default 15m). */
        pipeline?: string | number;
        /** hybris pods of one step starting and joining the JGroups view (default 5m). */
        hybrisPodStart?: string | number;
        /** A hybris build in Jenkins (default 20m). */
        build?: string | number;
        /** A run of the payment or post-deploy tests (default 10m). */
        tests?: string | number;
      };
      /**
       * Each app's version is built first unless the release recorded a successful build of it:
       * hybris by release.apps.hybris.build.jenkinsJob, cms and web by their GitLab pipeline (default false).
       */
      build?: boolean;
    };
    apps?: {
      hybris?: {
        /** GitLab project of the code, e.g. kop/hybris. */
        repo?: string;
        /**
         * Seniors on call for this app: user entity refs (user:default/kim.minjun) or Slack e-mail
         * addresses. A failed or paused deploy pages each with an urgent direct message.
         */
        onCall?: string[];
        /** Replicas taken off the old colour per step after the switch. */
        scaleDownBy?: number;
        /** The most replicas a step may raise a colour to, 1 to 60 (default 30). */
        maxReplicas?: number;
        colours?: {
          [colour: string]: {
            argocdApp?: string;
            /** Values file in the IaC repository, e.g. hybris/values-blue.yaml. */
            values?: string;
            /** Key of the image tag, e.g. image.tag. */
            image?: string;
            /** Key of the replica count, e.g. replicaCount. */
            replicas?: string;
          };
        };
        /** The traffic switch: keys that name the live colour. */
        switch?: {
          argocdApp?: string;
          values?: string;
          keys?: string[];
          /** How long the error metrics are watched after the switch, e.g. 5m (default 5m). */
          watch?: string | number;
          /** Names of `gates.metrics` watched after the switch (default [error-rate]). */
          watchMetrics?: string[];
        };
        gates?: {
          clusterStatus?: { path?: string };
          /** PromQL queries that must stay within max/min; $colour and $environment are filled in. */
          metrics?: Array<{
            name: string;
            query: string;
            max?: number;
            min?: number;
          }>;
          /** How long the metrics must hold, e.g. 2m. */
          soak?: string | number;
        };
        build?: { jenkinsJob?: string; branchPattern?: string };
        /** Further values keys the Config change form may edit. */
        editableKeys?: string[];
      };
      cms?: {
        repo?: string;
        /**
         * Seniors on call for this app: user entity refs (user:default/kim.minjun) or Slack e-mail
         * addresses. A failed or paused deploy pages each with an urgent direct message.
         */
        onCall?: string[];
        argocdApps?: string[];
        values?: { [argocdApp: string]: string };
        imageKey?: string;
        editableKeys?: string[];
        branch?: { from?: string; into?: string };
        build?: { jenkinsJob?: string; branchPattern?: string };
      };
      web?: {
        repo?: string;
        /**
         * Seniors on call for this app: user entity refs (user:default/kim.minjun) or Slack e-mail
         * addresses. A failed or paused deploy pages each with an urgent direct message.
         */
        onCall?: string[];
        argocdApps?: string[];
        values?: { [argocdApp: string]: string };
        imageKey?: string;
        editableKeys?: string[];
        build?: { jenkinsJob?: string; branchPattern?: string };
      };
    };
  };
}
