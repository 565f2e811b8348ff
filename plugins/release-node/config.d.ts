// Endpoints and credentials of the systems the portal drives. Secrets come from the environment.
export interface Config {
  /** Argo CD instances; the first is the default, apps may name another by `instance`. */
  argocd?: {
    instances: Array<{
      /** Name an app's config can refer to, e.g. prod. */
      name: string;
      /** Base URL of the Argo CD API server, e.g. https://argocd.example.com */
      url: string;
      /**
       * Bearer token of an Argo CD account allowed to get, sync and terminate the kop apps.
       * @visibility secret
       */
      token: string;
      /** Per-request timeout in ms (default 15000). */
      timeoutMs?: number;
    }>;
  };

  /** Jenkins, for builds and payment tests. */
  jenkins?: {
    /** Base URL, e.g. https://jenkins.example.com */
    baseUrl: string;
    /** User the API token belongs to. */
    username: string;
    /**
     * API token of that user.
     * @visibility secret
     */
    apiToken: string;
    /**
     * The job's "Trigger builds remotely" token, when the job requires one.
     * @visibility secret
     */
    buildToken?: string;
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
    clusterStatus: {
      [environment: string]: {
        /** e.g. { blue: https://hybris-blue.internal, green: https://hybris-green.internal } */
        [colour: string]: string;
      };
    };
    timeoutMs?: number;
  };

  /** Asana, for the release task. */
  asana?: {
    /** API base URL (default https://app.asana.com/api/1.0). */
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
    /** Custom field gids. */
    fields?: { grade?: string; buildNumber?: string; dbUpdate?: string };
    timeoutMs?: number;
  };

  /** Slack, for announcements, approvals and commands. */
  slack?: {
    /** Web API base URL (default https://slack.com/api/). */
    apiUrl?: string;
    /**
     * Bot token (xoxb-…).
     * @visibility secret
     */
    botToken: string;
    /**
     * Signing secret that verifies requests Slack sends to the portal.
     * @visibility secret
     */
    signingSecret?: string;
    timeoutMs?: number;
  };
}
