export interface Config {
  /** The kop release portal. */
  release?: {
    /**
     * The product name, the "[kop]" of every announcement.
     * @visibility frontend
     */
    product?: string;
    /**
     * Environments in promotion order; defaults to beta, prod.
     * @visibility frontend
     */
    environments?: string[];
  };
}
