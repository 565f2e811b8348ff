/** Text safe inside the sandbox's own HTML pages. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, c => `&#${c.charCodeAt(0)};`);
}
