export interface Config {
  /**
   * The kop release portal. release.product and release.environments are declared in
   * plugins/release/config.d.ts, where the app's front-end schema finds them; the policy below reaches
   * the pages through GET /policy, so it stays backend-only.
   */
  release?: {
    /** The grade table (the seed's defaults when left out). Each role named must be in `roles`. */
    grades?: {
      [grade in 'A' | 'B' | 'C' | 'D' | 'E']?: {
        /** Risk label in the team's words, e.g. 낮음. */
        label?: string;
        /** Risk label in English, e.g. low. */
        labelEn?: string;
        /** The criteria of the grade, shown on the grade picker. */
        criteria?: string;
        /** Roles that must each approve before deploying. */
        approve?: string[];
        /** Role that takes an approval over when the author holds the approving role (PL → team lead). */
        authorIsApprover?: string;
        /** Roles that approve after deploying (grade E: act first, report after). */
        approveAfter?: string[];
        /** Who is told: a key of release.notify.slack. */
        share?: string;
      };
    };
    /** The post-deploy sign-off of test results. */
    signoff?: {
      /** Roles that must each sign off. */
      approve: string[];
    };
    /** Release roles and the catalog groups whose members hold them. */
    roles?: {
      [role: string]: {
        /** Group entity ref, e.g. group:default/role-pl. */
        group: string;
        /** `service`: only members of a team that owns one of the release's apps may act. */
        scope?: 'service' | 'any';
      };
    };
    /** A change of class `when` (e.g. dbChange) raises the lowest allowed grade to `min`. */
    gradeFloors?: Array<{ when: string; min: 'A' | 'B' | 'C' | 'D' | 'E' }>;
    /** When releases may go out; outside them only grade E, or an override with a reason. */
    windows?: Array<{
      /** sun, mon, tue, wed, thu, fri, sat */
      days: string[];
      /** HH:MM, inclusive. */
      from: string;
      /** HH:MM (or 24:00), exclusive. */
      to: string;
      /** IANA time zone; Asia/Seoul by default. */
      tz?: string;
    }>;
    /** YYYY-MM-DD dates on which no window opens. */
    holidays?: string[];
    /** Roles that may deploy outside the windows with a reason. */
    windowOverride?: string[];
    /** Roles whose holders, with the release.admin permission, may act on others' releases. */
    adminRoles?: string[];
    /** The release messages' outbox (Slack and Asana). */
    messages?: {
      /** Wait after a message's first failed send, in ms (default 30000), doubled each try. */
      retryMs?: number;
      /** The longest wait between two tries, in ms (default 900000). */
      maxRetryMs?: number;
    };
    /**
     * The release engine that runs deploy plans. The roles in windowOverride are the leads who
     * may also skip a step and stop the line.
     */
    engine?: {
      /** Between two looks at a sync or a gate when no event comes (ms, default 5000). */
      pollMs?: number;
      /** Between two looks at a merge request's pipeline (ms, default 15000). */
      pipelinePollMs?: number;
      /** Syncs of one app per step before the step fails (default 3). */
      syncAttempts?: number;
      /** Longest wait for an app's sync (ms, default 30 min). */
      syncTimeoutMs?: number;
      /** Longest wait for a pipeline (ms, default 60 min). */
      pipelineTimeoutMs?: number;
      /** Longest wait for a gate; none by default (people pause by hand). */
      gateTimeoutMs?: number;
      /** A soak not looked at for longer restarts (ms, default 30000). */
      maxUnwatchedMs?: number;
      /** Between two looks at a Jenkins build or test run (ms, default 10000). */
      jenkinsPollMs?: number;
      /** Longest an HTTP check of the post-deploy tests waits for its answer (ms, default 15000). */
      httpCheckTimeoutMs?: number;
      /** How often every backend looks for due runs (ms, default 5000). */
      tickMs?: number;
      /** How long a backend's claim on a run lasts unless renewed (ms, default 60000). */
      leaseMs?: number;
      /**
       * Per environment, what a failed step does: pause the run (default), fail it, or abort: a gate
       * failing its checks (a metric breach, pods or an app never ready, the watch after the
       * switch) has the engine start the release's abort run, the Abort button's revert, while
       * any other failure (a system's error, a conflict) pauses.
       */
      onStepFailure?: { [environment: string]: 'pause' | 'fail' | 'abort' };
    };
    /** Pages the release page links to besides Argo CD and GitLab. */
    links?: {
      /** Per environment; `{environment}` in the URL is filled in, e.g. ?var-environment={environment}. */
      dashboards?: Array<{ title: string; url: string }>;
    };
    /** `GET /setup-check`, which asks every system whether the portal can work with it. */
    setupCheck?: {
      /** Per system: one that has not answered by then is reported as failed. Default 10. */
      timeoutSeconds?: number;
    };
    /** Per-app release settings. */
    apps?: {
      [app in 'hybris' | 'cms' | 'web']?: {
        /** blue-green-steps, branch-merge-sync or sync. */
        strategy?: string;
        /** hybris: replica counts of the idle colour, one step each (e.g. [3, 6, 9]). */
        steps?: number[];
      };
    };
  };
}
