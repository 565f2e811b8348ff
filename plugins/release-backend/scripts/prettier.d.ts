// prettier 2 ships no types; these are the two calls the openapi generator makes.
declare module 'prettier' {
  const prettier: {
    format(source: string, options: Record<string, unknown>): string;
    resolveConfig: { sync(file: string): Record<string, unknown> | null };
  };
  export default prettier;
}
