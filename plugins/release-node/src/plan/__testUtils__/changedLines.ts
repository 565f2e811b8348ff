/** The lines a diff removes and adds, without its headers. */
export function changedLines(diff: string): string[] {
  return diff
    .split('\n')
    .filter(
      line =>
        /^[-+]/.test(line) &&
        !line.startsWith('---') &&
        !line.startsWith('+++'),
    );
}
