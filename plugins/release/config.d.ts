export interface Config {
  /** The kop release portal; the rest of release.* is the backend's (plugins/release-backend/config.d.ts). */
  release?: {
    /**
     * The product name, the "[kop]" of every announcement and of the dashboard's title.
     * @visibility frontend
     */
    product?: string;
    /**
     * Environments in promotion order; defaults to beta, prod. The release page compares with the first
     * until the release waits for approval, with the last from then on.
     * @visibility frontend
     */
    environments?: string[];
  };
}
